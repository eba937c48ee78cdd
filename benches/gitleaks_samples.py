#!/usr/bin/env python3
"""Score tollgate's hardcoded-secret on samples shaped like gitleaks v8.30's rule tests.

gitleaks' generator (cmd/generate/config/rules/*.go, MIT) tests each of its 222 default rules
with true samples: a secret drawn at random from the rule's secret regex, written as an
assignment to a name made of the provider word plus Token/_token, in the syntaxes of its
`GenerateSampleSecrets` (INI, JSON, XML, YAML, Go, Java, Kotlin, Python, PHP, C#, Makefile,
CSV, logstash); and false samples: low-entropy fills, the token glued inside a word. This
script copies none of those strings. FACTS below holds, per gitleaks rule id, only the format
facts (prefix, charset, length) as a shape regex, and the script draws a fresh secret from each
shape; rules whose samples are not an assignment (PEM blocks, curl lines, Kubernetes Secrets,
nuget.config, .p12 files, ...) have their own FORMS. One sample per file goes under a scratch
directory; tollgate runs once over it; the script reports recall on the true samples and the
share of false samples flagged, per rule where a rule falls short.

    python3 benches/gitleaks_samples.py [--bin target/release/tollgate] [--dir /tmp/gl-samples]
"""
import argparse, base64, json, os, random, shutil, string, subprocess, sys
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import sre_parse, sre_constants as C

AN = string.ascii_letters + string.digits
WORD = AN + "_"
FORM = None  # the rule's sample is written by FORMS, not by a template

# (gitleaks rule id, provider word, shape of the secret | FORM). Facts of gitleaks 8.30.1's
# default rules; the shapes are ours, written for drawing, not gitleaks' detection regexes.
FACTS = [
    ('1password-secret-key', 'onepassword', r'''A3-[A-Z0-9]{6}-(?:(?:[A-Z0-9]{11})|(?:[A-Z0-9]{6}-[A-Z0-9]{5}))-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}'''),
    ('1password-service-account-token', 'onepassword', r'''ops_eyJ[a-zA-Z0-9+/]{250,}={0,3}'''),
    ('adafruit-api-key', 'adafruit', r'''[a-z0-9_-]{32}'''),
    ('adobe-client-id', 'adobe', r'''[a-f0-9]{32}'''),
    ('adobe-client-secret', 'adobe', r'''p8e-[a-z0-9]{32}'''),
    ('age-secret-key', 'age', r'''AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}'''),
    ('airtable-api-key', 'airtable', r'''[a-z0-9]{17}'''),
    ('airtable-personnal-access-token', 'airtable', r'''pat[A-Za-z0-9]{14}\.[a-f0-9]{64}'''),
    ('algolia-api-key', 'algolia', r'''[a-z0-9]{32}'''),
    ('alibaba-access-key-id', 'alibaba', r'''LTAI[a-z0-9]{20}'''),
    ('alibaba-secret-key', 'alibaba', r'''[a-z0-9]{30}'''),
    ('anthropic-admin-api-key', 'anthropic', r'''sk-ant-admin01-[a-zA-Z0-9_\-]{93}AA'''),
    ('anthropic-api-key', 'anthropic', r'''sk-ant-api03-[a-zA-Z0-9_\-]{93}AA'''),
    ('artifactory-api-key', 'artifactory', r'''AKCp[A-Za-z0-9]{69}'''),
    ('artifactory-reference-token', 'artifactory', r'''cmVmd[A-Za-z0-9]{59}'''),
    ('asana-client-id', 'asana', r'''[0-9]{16}'''),
    ('asana-client-secret', 'asana', r'''[a-z0-9]{32}'''),
    ('atlassian-api-token', 'atlassian', r'''[a-z0-9]{20}[a-f0-9]{4}'''),
    ('authress-service-client-access-key', 'authress', r'''(?:sc|ext|scauth|authress)_[a-z0-9]{5,30}\.[a-z0-9]{4,6}\.(?:acc)[_-][a-z0-9-]{10,32}\.[a-z0-9+/_=-]{30,120}'''),
    ('aws-access-token', 'aws', r'''(?:A3T[A-Z0-9]|AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16}'''),
    ('aws-amazon-bedrock-api-key-long-lived', 'aws', r'''ABSK[A-Za-z0-9+/]{109,269}={0,2}'''),
    ('aws-amazon-bedrock-api-key-short-lived', 'aws', r'''bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t'''),
    ('azure-ad-client-secret', 'azure', r'''[a-zA-Z0-9_~.]{3}\dQ~[a-zA-Z0-9_~.-]{31,34}'''),
    ('beamer-api-token', 'beamer', r'''b_[a-z0-9=_\-]{44}'''),
    ('bitbucket-client-id', 'bitbucket', r'''[a-z0-9]{32}'''),
    ('bitbucket-client-secret', 'bitbucket', r'''[a-z0-9=_\-]{64}'''),
    ('bittrex-access-key', 'bittrex', r'''[a-z0-9]{32}'''),
    ('bittrex-secret-key', 'bittrex', r'''[a-z0-9]{32}'''),
    ('cisco-meraki-api-key', 'meraki', r'''[0-9a-f]{40}'''),
    ('clickhouse-cloud-api-secret-key', 'clickhouse', r'''4b1d[A-Za-z0-9]{38}'''),
    ('clojars-api-token', 'clojars', r'''CLOJARS_[a-z0-9]{60}'''),
    ('cloudflare-api-key', 'cloudflare', r'''[a-z0-9_-]{40}'''),
    ('cloudflare-global-api-key', 'cloudflare', r'''[a-f0-9]{37}'''),
    ('cloudflare-origin-ca-key', 'cloudflare', r'''v1\.0-[a-f0-9]{24}-[a-f0-9]{146}'''),
    ('codecov-access-token', 'codecov', r'''[a-z0-9]{32}'''),
    ('cohere-api-token', 'cohere', r'''[a-zA-Z0-9]{40}'''),
    ('coinbase-access-token', 'coinbase', r'''[a-z0-9_-]{64}'''),
    ('confluent-access-token', 'confluent', r'''[a-z0-9]{16}'''),
    ('confluent-secret-key', 'confluent', r'''[a-z0-9]{64}'''),
    ('contentful-delivery-api-token', 'contentful', r'''[a-z0-9=_\-]{43}'''),
    ('curl-auth-header', 'curl', FORM),
    ('curl-auth-user', 'curl', FORM),
    ('databricks-api-token', 'databricks', r'''dapi[a-f0-9]{32}(?:-\d)?'''),
    ('datadog-access-token', 'datadog', r'''[a-z0-9]{40}'''),
    ('defined-networking-api-token', 'dnkey', r'''dnkey-[a-z0-9=_\-]{26}-[a-z0-9=_\-]{52}'''),
    ('digitalocean-access-token', 'digitalocean', r'''doo_v1_[a-f0-9]{64}'''),
    ('digitalocean-pat', 'digitalocean', r'''dop_v1_[a-f0-9]{64}'''),
    ('digitalocean-refresh-token', 'digitalocean', r'''dor_v1_[a-f0-9]{64}'''),
    ('discord-api-token', 'discord', r'''[a-f0-9]{64}'''),
    ('discord-client-id', 'discord', r'''[0-9]{18}'''),
    ('discord-client-secret', 'discord', r'''[a-z0-9=_\-]{32}'''),
    ('doppler-api-token', 'doppler', r'''dp\.pt\.[a-z0-9]{43}'''),
    ('droneci-access-token', 'droneci', r'''[a-z0-9]{32}'''),
    ('dropbox-api-token', 'dropbox', r'''[a-z0-9]{15}'''),
    ('dropbox-long-lived-api-token', 'dropbox', r'''[a-z0-9]{11}(AAAAAAAAAA)[a-z0-9\-_=]{43}'''),
    ('dropbox-short-lived-api-token', 'dropbox', r'''sl\.[a-z0-9\-=_]{135}'''),
    ('duffel-api-token', 'duffel', r'''duffel_(?:test|live)_[a-z0-9_\-=]{43}'''),
    ('dynatrace-api-token', 'dynatrace', r'''dt0c01\.[a-z0-9]{24}\.[a-z0-9]{64}'''),
    ('easypost-api-token', 'easypost', r'''EZAK[a-z0-9]{54}'''),
    ('easypost-test-api-token', 'easypost', r'''EZTK[a-z0-9]{54}'''),
    ('etsy-access-token', 'etsy', r'''[a-z0-9]{24}'''),
    ('facebook-access-token', 'facebook', r'''\d{15,16}(\||%)[0-9a-z\-_]{27,40}'''),
    ('facebook-page-access-token', 'facebook', r'''EAA[MC][a-z0-9]{100,}'''),
    ('facebook-secret', 'facebook', r'''[a-f0-9]{32}'''),
    ('fastly-api-token', 'fastly', r'''[a-z0-9=_\-]{32}'''),
    ('finicity-api-token', 'finicity', r'''[a-f0-9]{32}'''),
    ('finicity-client-secret', 'finicity', r'''[a-z0-9]{20}'''),
    ('finnhub-access-token', 'finnhub', r'''[a-z0-9]{20}'''),
    ('flickr-access-token', 'flickr', r'''[a-z0-9]{32}'''),
    ('flutterwave-encryption-key', 'flutterwave', r'''FLWSECK_TEST-[a-h0-9]{12}'''),
    ('flutterwave-public-key', 'flutterwave', r'''FLWPUBK_TEST-[a-h0-9]{32}-X'''),
    ('flutterwave-secret-key', 'flutterwave', r'''FLWSECK_TEST-[a-h0-9]{32}-X'''),
    ('flyio-access-token', 'flyio', r'''(?:fo1_[\w-]{43}|fm1[ar]_[a-zA-Z0-9+\/]{100,}={0,3}|fm2_[a-zA-Z0-9+\/]{100,}={0,3})'''),
    ('frameio-api-token', 'frameio', r'''fio-u-[a-z0-9\-_=]{64}'''),
    ('freemius-secret-key', 'freemius', FORM),
    ('freshbooks-access-token', 'freshbooks', r'''[a-z0-9]{64}'''),
    ('gcp-api-key', 'gcp', r'''AIza[\w-]{35}'''),
    ('generic-api-key', 'api', r'''[A-Za-z0-9_.=-]{24,40}'''),
    ('github-app-token', 'github', r'''(?:ghu|ghs)_[0-9a-zA-Z]{36}'''),
    ('github-fine-grained-pat', 'github', r'''github_pat_\w{82}'''),
    ('github-oauth', 'github', r'''gho_[0-9a-zA-Z]{36}'''),
    ('github-pat', 'github', r'''ghp_[0-9a-zA-Z]{36}'''),
    ('github-refresh-token', 'github', r'''ghr_[0-9a-zA-Z]{36}'''),
    ('gitlab-cicd-job-token', 'gitlab', r'''glcbt-[0-9a-zA-Z]{1,5}_[0-9a-zA-Z_-]{20}'''),
    ('gitlab-deploy-token', 'gitlab', r'''gldt-[0-9a-zA-Z_\-]{20}'''),
    ('gitlab-feature-flag-client-token', 'gitlab', r'''glffct-[0-9a-zA-Z_\-]{20}'''),
    ('gitlab-feed-token', 'gitlab', r'''glft-[0-9a-zA-Z_\-]{20}'''),
    ('gitlab-incoming-mail-token', 'gitlab', r'''glimt-[0-9a-zA-Z_\-]{25}'''),
    ('gitlab-kubernetes-agent-token', 'gitlab', r'''glagent-[0-9a-zA-Z_\-]{50}'''),
    ('gitlab-oauth-app-secret', 'gitlab', r'''gloas-[0-9a-zA-Z_\-]{64}'''),
    ('gitlab-pat', 'gitlab', r'''glpat-[\w-]{20}'''),
    ('gitlab-pat-routable', 'gitlab', r'''glpat-[0-9a-zA-Z_-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}'''),
    ('gitlab-ptt', 'gitlab', r'''glptt-[0-9a-f]{40}'''),
    ('gitlab-rrt', 'gitlab', r'''GR1348941[\w-]{20}'''),
    ('gitlab-runner-authentication-token', 'gitlab', r'''glrt-[0-9a-zA-Z_\-]{20}'''),
    ('gitlab-runner-authentication-token-routable', 'gitlab', r'''glrt-t\d_[0-9a-zA-Z_\-]{27,300}\.[0-9a-z]{2}[0-9a-z]{7}'''),
    ('gitlab-scim-token', 'gitlab', r'''glsoat-[0-9a-zA-Z_\-]{20}'''),
    ('gitlab-session-cookie', 'gitlab', r'''_gitlab_session=[0-9a-z]{32}'''),
    ('gitter-access-token', 'gitter', r'''[a-z0-9_-]{40}'''),
    ('gocardless-api-token', 'gocardless', r'''live_[a-z0-9\-_=]{40}'''),
    ('grafana-api-key', 'grafana', r'''eyJrIjoi[A-Za-z0-9]{70,400}={0,3}'''),
    ('grafana-cloud-api-token', 'grafana', r'''glc_[A-Za-z0-9+/]{32,400}={0,3}'''),
    ('grafana-service-account-token', 'grafana', r'''glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}'''),
    ('harness-api-key', 'harness', r'''(?:pat|sat)\.[a-zA-Z0-9_-]{22}\.[a-zA-Z0-9]{24}\.[a-zA-Z0-9]{20}'''),
    ('hashicorp-tf-api-token', 'hashicorp', r'''[a-z0-9]{14}\.(?:atlasv1)\.[a-z0-9\-_=]{60,70}'''),
    ('hashicorp-tf-password', 'administrator_login_password', FORM),
    ('heroku-api-key', 'heroku', r'''[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'''),
    ('heroku-api-key-v2', 'heroku', r'''(HRKU-AA[0-9a-zA-Z_-]{58})'''),
    ('hubspot-api-key', 'hubspot', r'''[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}'''),
    ('huggingface-access-token', 'huggingface', r'''hf_(?:[a-z]{34})'''),
    ('huggingface-organization-api-token', 'huggingface', r'''api_org_(?:[a-z]{34})'''),
    ('infracost-api-token', 'infracost', r'''ico-[a-zA-Z0-9]{32}'''),
    ('intercom-api-key', 'intercom', r'''[a-z0-9=_\-]{60}'''),
    ('intra42-client-secret', 'intra42', r'''s-s4t2(?:ud|af)-[abcdef0123456789]{64}'''),
    ('jfrog-api-key', 'jfrog', r'''[a-z0-9]{73}'''),
    ('jfrog-identity-token', 'jfrog', r'''[a-z0-9]{64}'''),
    ('jwt', 'jwt', FORM),
    ('jwt-base64', 'jwt', FORM),
    ('kraken-access-token', 'kraken', r'''[a-z0-9\/=_\+\-]{80,90}'''),
    ('kubernetes-secret-yaml', 'kubernetes', FORM),
    ('kucoin-access-token', 'kucoin', r'''[a-f0-9]{24}'''),
    ('kucoin-secret-key', 'kucoin', r'''[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'''),
    ('launchdarkly-access-token', 'launchdarkly', r'''[a-z0-9=_\-]{40}'''),
    ('linear-api-key', 'linear', r'''lin_api_[a-z0-9]{40}'''),
    ('linear-client-secret', 'linear', r'''[a-f0-9]{32}'''),
    ('linkedin-client-id', 'linkedin', r'''[a-z0-9]{14}'''),
    ('linkedin-client-secret', 'linkedin', r'''[a-z0-9]{16}'''),
    ('lob-api-key', 'lob', r'''(live|test)_[a-f0-9]{35}'''),
    ('lob-pub-api-key', 'lob', r'''(test|live)_pub_[a-f0-9]{31}'''),
    ('looker-client-id', 'looker', r'''[a-z0-9]{20}'''),
    ('looker-client-secret', 'looker', r'''[a-z0-9]{24}'''),
    ('mailchimp-api-key', 'mailchimp', r'''[a-f0-9]{32}-us\d\d'''),
    ('mailgun-private-api-token', 'mailgun', r'''key-[a-f0-9]{32}'''),
    ('mailgun-pub-key', 'mailgun', r'''pubkey-[a-f0-9]{32}'''),
    ('mailgun-signing-key', 'mailgun', r'''[a-h0-9]{32}-[a-h0-9]{8}-[a-h0-9]{8}'''),
    ('mapbox-api-token', 'mapbox', r'''pk\.[a-z0-9]{60}\.[a-z0-9]{22}'''),
    ('mattermost-access-token', 'mattermost', r'''[a-z0-9]{26}'''),
    ('maxmind-license-key', 'maxmind', r'''[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk'''),
    ('messagebird-api-token', 'messagebird', r'''[a-z0-9]{25}'''),
    ('messagebird-client-id', 'messagebird', r'''[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'''),
    ('microsoft-teams-webhook', 'microsoft', r'''https://[a-z0-9]+\.webhook\.office\.com/webhookb2/[a-z0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}@[a-z0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}/IncomingWebhook/[a-z0-9]{32}/[a-z0-9]{8}-([a-z0-9]{4}-){3}[a-z0-9]{12}'''),
    ('netlify-access-token', 'netlify', r'''[a-z0-9=_\-]{40,46}'''),
    ('new-relic-browser-api-token', 'newrelic', r'''NRJS-[a-f0-9]{19}'''),
    ('new-relic-insert-key', 'newrelic', r'''NRII-[a-z0-9-]{32}'''),
    ('new-relic-user-api-id', 'newrelic', r'''[a-z0-9]{64}'''),
    ('new-relic-user-api-key', 'newrelic', r'''NRAK-[a-z0-9]{27}'''),
    ('notion-api-token', 'notion', r'''ntn_[0-9]{11}[A-Za-z0-9]{32}[A-Za-z0-9]{3}'''),
    ('npm-access-token', 'npm', r'''npm_[a-z0-9]{36}'''),
    ('nuget-config-password', 'nuget', FORM),
    ('nytimes-access-token', 'nytimes', r'''[a-z0-9=_\-]{32}'''),
    ('octopus-deploy-api-key', 'octopus', r'''API-[A-Z0-9]{26}'''),
    ('okta-access-token', 'okta', r'''00[\w=\-]{40}'''),
    ('openai-api-key', 'openai', r'''sk-(?:proj|svcacct|admin)-(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})T3BlbkFJ(?:[A-Za-z0-9_-]{74}|[A-Za-z0-9_-]{58})|sk-[a-zA-Z0-9]{20}T3BlbkFJ[a-zA-Z0-9]{20}'''),
    ('openshift-user-token', 'openshift', r'''sha256~[\w-]{43}'''),
    ('perplexity-api-key', 'perplexity', r'''pplx-[a-zA-Z0-9]{48}'''),
    ('pkcs12-file', 'pkcs12', FORM),
    ('plaid-api-token', 'plaid', r'''access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'''),
    ('plaid-client-id', 'plaid', r'''[a-z0-9]{24}'''),
    ('plaid-secret-key', 'plaid', r'''[a-z0-9]{30}'''),
    ('planetscale-api-token', 'planetscale', r'''pscale_tkn_[\w=\.-]{32,64}'''),
    ('planetscale-oauth-token', 'planetscale', r'''pscale_oauth_[\w=\.-]{32,64}'''),
    ('planetscale-password', 'planetscale', r'''pscale_pw_[\w=\.-]{32,64}'''),
    ('postman-api-token', 'postman', r'''PMAK-[a-f0-9]{24}\-[a-f0-9]{34}'''),
    ('prefect-api-token', 'prefect', r'''pnu_[a-zA-Z0-9]{36}'''),
    ('private-key', 'private', FORM),
    ('privateai-api-token', 'privateai', r'''[a-z0-9]{32}'''),
    ('pulumi-api-token', 'pulumi', r'''pul-[a-f0-9]{40}'''),
    ('pypi-upload-token', 'pypi', r'''pypi-AgEIcHlwaS5vcmc[\w-]{50,1000}'''),
    ('rapidapi-access-token', 'rapidapi', r'''[a-z0-9_-]{50}'''),
    ('readme-api-token', 'readme', r'''rdme_[a-z0-9]{70}'''),
    ('rubygems-api-token', 'rubygems', r'''rubygems_[a-f0-9]{48}'''),
    ('scalingo-api-token', 'scalingo', r'''tk-us-[\w-]{48}'''),
    ('sendbird-access-id', 'sendbird', r'''[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'''),
    ('sendbird-access-token', 'sendbird', r'''[a-f0-9]{40}'''),
    ('sendgrid-api-token', 'sendgrid', r'''SG\.[a-z0-9=_\-\.]{66}'''),
    ('sendinblue-api-token', 'sendinblue', r'''xkeysib-[a-f0-9]{64}\-[a-z0-9]{16}'''),
    ('sentry-access-token', 'sentry', r'''[a-f0-9]{64}'''),
    ('sentry-org-token', 'sentry', r'''sntrys_eyJpYXQiO[a-zA-Z0-9+/]{10,200}(?:LCJyZWdpb25fdXJs|InJlZ2lvbl91cmwi|cmVnaW9uX3VybCI6)[a-zA-Z0-9+/]{10,200}={0,2}_[a-zA-Z0-9+/]{43}'''),
    ('sentry-user-token', 'sentry', r'''sntryu_[a-f0-9]{64}'''),
    ('settlemint-application-access-token', 'settlemint', r'''sm_aat_[a-zA-Z0-9]{16}'''),
    ('settlemint-personal-access-token', 'settlemint', r'''sm_pat_[a-zA-Z0-9]{16}'''),
    ('settlemint-service-access-token', 'settlemint', r'''sm_sat_[a-zA-Z0-9]{16}'''),
    ('shippo-api-token', 'shippo', r'''shippo_(?:live|test)_[a-fA-F0-9]{40}'''),
    ('shopify-access-token', 'shopify', r'''shpat_[a-fA-F0-9]{32}'''),
    ('shopify-custom-access-token', 'shopify', r'''shpca_[a-fA-F0-9]{32}'''),
    ('shopify-private-app-access-token', 'shopify', r'''shppa_[a-fA-F0-9]{32}'''),
    ('shopify-shared-secret', 'shopify', r'''shpss_[a-fA-F0-9]{32}'''),
    ('sidekiq-secret', 'sidekiq', FORM),
    ('sidekiq-sensitive-url', 'sidekiq', r'''https://[a-f0-9]{8}:[a-f0-9]{8}@(?:gems|enterprise)\.contribsys\.com/'''),
    ('slack-app-token', 'slack', r'''xapp-\d-[A-Z0-9]+-\d+-[a-z0-9]+'''),
    ('slack-bot-token', 'slack', r'''xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*'''),
    ('slack-config-access-token', 'slack', r'''xoxe.xox[bp]-\d-[A-Z0-9]{163,166}'''),
    ('slack-config-refresh-token', 'slack', r'''xoxe-\d-[A-Z0-9]{146}'''),
    ('slack-legacy-bot-token', 'slack', r'''xoxb-[0-9]{8,14}-[a-zA-Z0-9]{18,26}'''),
    ('slack-legacy-token', 'slack', r'''xox[os]-\d+-\d+-\d+-[a-fA-F\d]+'''),
    ('slack-legacy-workspace-token', 'slack', r'''xox[ar]-(?:\d-)?[0-9a-zA-Z]{8,48}'''),
    ('slack-user-token', 'slack', r'''xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}'''),
    ('slack-webhook-url', 'slack', r'''(?:https?://)?hooks.slack.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}'''),
    ('snyk-api-token', 'snyk', r'''[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'''),
    ('sonar-api-token', 'sonar', r'''(?:squ_|sqp_|sqa_)?[a-z0-9=_\-]{40}'''),
    ('sourcegraph-access-token', 'sourcegraph', r'''sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}'''),
    ('square-access-token', 'square', r'''(?:EAAA|sq0atp-)[\w-]{22,60}'''),
    ('squarespace-access-token', 'squarespace', r'''[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}'''),
    ('stripe-access-token', 'stripe', r'''(?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99}'''),
    ('sumologic-access-id', 'sumo', r'''su[a-zA-Z0-9]{12}'''),
    ('sumologic-access-token', 'sumo', r'''[a-z0-9]{64}'''),
    ('telegram-bot-api-token', 'telegram', r'''[0-9]{5,16}:(?:A)[a-z0-9_\-]{34}'''),
    ('travisci-access-token', 'travis', r'''[a-z0-9]{22}'''),
    ('twilio-api-key', 'twilio', r'''SK[0-9a-fA-F]{32}'''),
    ('twitch-api-token', 'twitch', r'''[a-z0-9]{30}'''),
    ('twitter-access-secret', 'twitter', r'''[a-z0-9]{45}'''),
    ('twitter-access-token', 'twitter', r'''[0-9]{15,25}-[a-zA-Z0-9]{20,40}'''),
    ('twitter-api-key', 'twitter', r'''[a-z0-9]{25}'''),
    ('twitter-api-secret', 'twitter', r'''[a-z0-9]{50}'''),
    ('twitter-bearer-token', 'twitter', r'''A{22}[a-zA-Z0-9%]{80,100}'''),
    ('typeform-api-token', 'typeform', r'''tfp_[a-z0-9\-_\.=]{59}'''),
    ('vault-batch-token', 'vault', r'''hvb\.[\w-]{138,300}'''),
    ('vault-service-token', 'vault', r'''(?:hvs\.[\w-]{90,120}|s\.(?:[a-z0-9]{24}))'''),
    ('yandex-access-token', 'yandex', r'''t1\.[A-Z0-9a-z_-]+[=]{0,2}\.[A-Z0-9a-z_-]{86}[=]{0,2}'''),
    ('yandex-api-key', 'yandex', r'''AQVN[A-Za-z0-9_\-]{35,38}'''),
    ('yandex-aws-access-token', 'yandex', r'''YC[a-zA-Z0-9_\-]{38}'''),
    ('zendesk-secret-key', 'zendesk', r'''[a-z0-9]{40}'''),
]

TEMPLATES = [
    ('{i}Token="{s}"\n', ".ini"), ("{i}Token = {s}\n", ".ini"),
    ('{{\n  "{i}_token": "{s}"\n}}\n', ".json"), ("<{i}Token>{s}</{i}Token>\n", ".xml"),
    ("<{i}Token>\n    {s}\n</{i}Token>\n", ".xml"),
    ("{i}_token: '{s}'\n", ".yaml"), ("{i}_token: {s}\n", ".yml"), ("{i}_token: |\n  {s}\n", ".yaml"),
    ("{i}_token: >\n  {s}\n", ".yaml"),
    ('string {i}Token = "{s}";\n', ".cs"), ('var {i}Token string = "{s}"\n', ".go"),
    ("{i}Token := `{s}`\n", ".go"), ('String {i}Token = "{s}";\n', ".java"),
    ('var {i}Token = "{s}"\n', ".kt"), ('${i}Token .= "{s}";\n', ".php"), ("{i}Token = '{s}'\n", ".py"),
    ("{i}Token,{s},\n", ".csv"), ('  "{i}Token" => "{s}"\n', ".conf"), ('{i}_TOKEN := "{s}"\n', ".mk"),
    ('{i}_TOKEN ?= "{s}"\n', ".mk"), ('{i}_TOKEN ::= "{s}"\n', ".mk"), ('{i}_TOKEN += "{s}"\n', "Makefile"),
]


def gen(node, rng, flags=0):
    """A random string matching a parsed regex (repeats without bound stop a little past min)."""
    out = []
    for op, av in node:
        if op is C.LITERAL:
            out.append(chr(av))
        elif op is C.NOT_LITERAL:
            out.append(rng.choice([c for c in AN if ord(c) != av]))
        elif op is C.ANY:
            # gitleaks' shapes write a literal dot unescaped (`hooks.slack.com`, `xoxe.xoxb`).
            out.append(".")
        elif op is C.IN:
            out.append(rng.choice(charset(av)))
        elif op is C.BRANCH:
            out.append(gen(rng.choice(av[1]), rng))
        elif op is C.SUBPATTERN:
            out.append(gen(av[-1], rng))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = av
            hi = lo + 24 if hi == C.MAXREPEAT else hi
            out.extend(gen(sub, rng) for _ in range(rng.randint(lo, hi)))
        elif op is C.AT:
            pass
        else:
            raise ValueError(f"shape op {op}")
    return "".join(out)


def charset(items):
    chars, negate = set(), False
    for op, av in items:
        if op is C.NEGATE:
            negate = True
        elif op is C.LITERAL:
            chars.add(chr(av))
        elif op is C.RANGE:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        elif op is C.CATEGORY:
            chars.update({C.CATEGORY_DIGIT: string.digits, C.CATEGORY_WORD: WORD,
                          C.CATEGORY_SPACE: " ", C.CATEGORY_NOT_SPACE: AN}[av])
    if negate:
        chars = set(AN) - chars
    return sorted(chars)


def draw(shape, rng):
    return gen(sre_parse.parse(shape), rng)


def b64url(raw):
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt(rng):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {"sub": draw("[0-9]{6,10}", rng), "name": draw("[a-z]{5,9}", rng),
              "iat": rng.randint(1500000000, 1800000000)}
    return f"{header}.{b64url(json.dumps(claims).encode())}.{b64url(rng.randbytes(32))}"


def pem(rng, kind="RSA PRIVATE KEY"):
    body = base64.b64encode(rng.randbytes(64 * 9)).decode()
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    return f"-----BEGIN {kind}-----\n{lines}\n-----END {kind}-----\n"


def forms(rule, rng):
    """(relative file name, text) true samples of the rules with a form of their own."""
    r = lambda shape: draw(shape, rng)
    if rule == "curl-auth-header":
        return [("run.sh", f'curl -H "Authorization: Bearer {r("[A-Za-z0-9]{32}")}" https://api.example.org/v1\n'),
                ("run2.sh", f"curl --header 'X-Api-Key: {r('[a-f0-9]{40}')}' https://api.example.org\n"),
                ("ci.yml", f'run: curl -sS -H "Authorization: Basic {base64.b64encode(rng.randbytes(24)).decode()}" https://h.example.org\n')]
    if rule == "curl-auth-user":
        return [("run.sh", f"curl -u deploy:{r('[A-Za-z0-9]{20}')} https://api.example.org\n"),
                ("run2.sh", f'curl --user "ci:{r("[A-Za-z0-9!#%]{18}")}" https://h.example.org/upload\n')]
    if rule == "freemius-secret-key":
        return [("config.php", f"$config = array(\n  'secret_key' => 'sk_{r('[A-Za-z0-9!#%&*+=?^~]{29}')}',\n);\n")]
    if rule == "hashicorp-tf-password":
        return [("main.tf", f'resource "azurerm_mssql_server" "db" {{\n  administrator_login_password = "{r("[a-zA-Z0-9=_-]{16}")}"\n}}\n'),
                ("db.tf", f'resource "aws_db_instance" "db" {{\n  password = "{r("[a-zA-Z0-9=_-]{18}")}"\n}}\n')]
    if rule == "jwt":
        return [("app.env", f"SESSION={jwt(rng)}\n"), ("client.js", f'const token = "{jwt(rng)}";\n')]
    if rule == "jwt-base64":
        return [("cfg.yaml", f"auth: {base64.b64encode(jwt(rng).encode()).decode()}\n")]
    if rule == "kubernetes-secret-yaml":
        v = base64.b64encode(r("[A-Za-z0-9]{24}").encode()).decode()
        return [("secret.yaml", f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:\n  password: {v}\n"),
                ("secret2.yml", f"apiVersion: v1\ndata:\n  api-key: {v}\nkind: Secret\nmetadata:\n  name: app\n")]
    if rule == "nuget-config-password":
        return [("nuget.config", '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <packageSourceCredentials>\n'
                 f'    <feed>\n      <add key="Username" value="ci" />\n      <add key="ClearTextPassword" value="{r("[A-Za-z0-9]{20}")}" />\n'
                 "    </feed>\n  </packageSourceCredentials>\n</configuration>\n")]
    if rule == "pkcs12-file":
        return [("cert.p12", rng.randbytes(1200)), ("site.pfx", rng.randbytes(900))]
    if rule == "private-key":
        return [("id_rsa", pem(rng)), ("key.pem", pem(rng, "PRIVATE KEY")), ("ec.key", pem(rng, "EC PRIVATE KEY"))]
    if rule == "sidekiq-secret":
        return [(".env", f"BUNDLE_ENTERPRISE__CONTRIBSYS__COM={r('[a-f0-9]{8}')}:{r('[a-f0-9]{8}')}\n"),
                ("setup.sh", f"export BUNDLE_GEMS__CONTRIBSYS__COM={r('[a-f0-9]{8}')}:{r('[a-f0-9]{8}')}\n")]
    raise KeyError(rule)


def fill(text, ch):
    """The same shape with its random runs replaced by one character: a low-entropy fill."""
    return "".join(c if not c.isalnum() else ch for c in text)


def build(root, rng):
    shutil.rmtree(root, ignore_errors=True)
    cases = []
    for n, (rule, word, shape) in enumerate(FACTS):
        if shape is FORM:
            for t, (name, text) in enumerate(forms(rule, rng)):
                cases.append(("tp", rule, f"tp/{n:03}_{t:02}/{name}", text))
            continue
        for t, (tmpl, ext) in enumerate(TEMPLATES):
            name = ext if not ext.startswith(".") else "sample" + ext
            cases.append(("tp", rule, f"tp/{n:03}_{t:02}/{name}", tmpl.format(i=word, s=draw(shape, rng))))
        secret = draw(shape, rng)
        fps = [f"key = {fill(secret, 'X')}\n",                 # low entropy, no secret name
               f'{word}Token = "{fill(secret, "x")}"\n',      # low entropy under its own name
               f"key = adf{secret}\n"]                         # glued inside a word
        for t, text in enumerate(fps):
            cases.append(("fp", rule, f"fp/{n:03}_{t:02}/sample.conf", text))
    for _, _, rel, text in cases:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb" if isinstance(text, bytes) else "w") as f:
            f.write(text)
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/release/tollgate")
    ap.add_argument("--dir", default="/tmp/gl-samples")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    cases = build(a.dir, random.Random(a.seed))
    cp = subprocess.run([a.bin, "check", a.dir, "--format", "json"], capture_output=True, text=True)
    report = json.loads(cp.stdout)
    flagged = set()
    for f in report["findings"]:
        if f.get("rule") == "hardcoded-secret" or f.get("rule_id") == "hardcoded-secret":
            loc = f.get("location") or {}
            p = loc.get("path") or f.get("path") or f.get("file")
            flagged.add(os.path.relpath(os.path.join(a.dir, p) if not os.path.isabs(p) else p, a.dir))
    by_rule = {}
    for kind, rule, rel, _ in cases:
        hit = rel in flagged
        s = by_rule.setdefault((kind, rule), [0, 0, []])
        s[0] += hit
        s[1] += 1
        if hit == (kind == "fp"):
            s[2].append(rel)
    tp = [v for (k, _), v in by_rule.items() if k == "tp"]
    fp = [v for (k, _), v in by_rule.items() if k == "fp"]
    rec = sum(v[0] for v in tp) / sum(v[1] for v in tp)
    fpr = sum(v[0] for v in fp) / sum(v[1] for v in fp)
    for (k, rule), (h, n, odd) in sorted(by_rule.items()):
        if a.verbose or (k == "tp" and h < n) or (k == "fp" and h):
            print(f"{k} {rule}: {h}/{n} flagged  {' '.join(odd[:4])}")
    rules_met = sum(1 for v in tp if v[0] == v[1])
    print(f"{len(FACTS)} rules, {rules_met} fully found; recall {rec:.3f} "
          f"({sum(v[0] for v in tp)}/{sum(v[1] for v in tp)}); "
          f"false samples flagged {fpr:.3f} ({sum(v[0] for v in fp)}/{sum(v[1] for v in fp)})")


if __name__ == "__main__":
    sys.exit(main())
