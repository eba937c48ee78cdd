#!/usr/bin/env python3
"""Score tollgate's hardcoded-secret on samples shaped like gitleaks v8.30's rule tests.

gitleaks' generator (cmd/generate/config/rules/*.go, MIT) tests each rule with true samples:
a secret drawn at random from the rule's secret regex, written as an assignment to a name made
of the provider word plus Token/_token, in the syntaxes of its `GenerateSampleSecrets` (INI,
JSON, XML, YAML, Go, Java, Python, PHP, C#, Makefile, CSV); and false samples: low-entropy
fills, the token glued inside a word, a wrong type segment. This script does not copy those
strings: it draws fresh secrets from the format facts below (prefix, charset, length) and
writes one sample per file under a scratch directory, then runs tollgate and reports recall on
the true samples and the share of false samples flagged.

    python3 benches/gitleaks_samples.py [--bin target/debug/tollgate] [--dir /tmp/gl-samples]
"""
import argparse, json, os, random, shutil, string, subprocess, sys

AN = string.ascii_letters + string.digits
LOW = string.ascii_lowercase + string.digits
HEX = "0123456789abcdef"
B64 = AN + "+/"
EXT = AN + "_-"

# (gitleaks rule id, provider word, [parts]); a part is a literal str or (charset, length).
FACTS = [
    ("langsmith-api-key", "langsmith", ["lsv2_pt_", (LOW, 32), "_", (LOW, 10)]),
    ("langsmith-api-key", "langchain", ["lsv2_sk_", (LOW, 32), "_", (LOW, 10)]),
    ("flyio-access-token", "fly", ["fo1_", (EXT, 43)]),
    ("flyio-access-token", "fly", ["fm1r_", (B64, 140)]),
    ("flyio-access-token", "fly", ["fm2_", (B64, 160), "=="]),
    ("clickhouse-cloud-api-secret-key", "ClickHouse", ["4b1d", (AN, 38)]),
    ("airtable-personnal-access-token", "airtable", ["pat", (AN, 14), ".", (HEX, 64)]),
    ("airtable-api-key", "airtable", [(AN, 17)]),
    ("contentful-delivery-api-token", "contentful", [(AN, 43)]),
    ("private-key-base64", "private", ["b64pem"]),
    ("castai-api-key", "CastAI", ["castai_v1_", (AN, 64), "_", (AN, 8)]),
    ("chieftools-pat", "chieftools", ["ctp_", (AN, 36)]),
    ("chieftools-access-token", "chieftools", ["cto_", (AN, 36)]),
    ("chieftools-refresh-token", "chieftools", ["ctr_", (AN, 36)]),
    ("defined-networking-api-token", "dnkey", ["dnkey-", (EXT, 26), "-", (EXT, 52)]),
    ("dropbox-api-token", "dropbox", [(AN, 15)]),
    ("dropbox-short-lived-api-token", "dropbox", ["sl.", (LOW + "-=_", 135)]),
    ("dropbox-long-lived-api-token", "dropbox", [(LOW, 11), "AAAAAAAAAA", (LOW + "-_=", 43)]),
    # formats tollgate already knew, as a control
    ("github-pat", "github", ["ghp_", (AN, 36)]),
    ("openai-api-key", "openai", ["sk-proj-", (EXT, 74), "T3BlbkFJ", (EXT, 74)]),
    ("slack-bot-token", "slack", ["xoxb-", ("0123456789", 12), "-", ("0123456789", 13), "-", (AN, 24)]),
    ("alibaba-access-key-id", "alibaba", ["LTAI", (LOW, 20)]),
    ("pulumi-api-token", "pulumi", ["pul-", (HEX, 40)]),
]

TEMPLATES = [
    '{i}Token="{s}"\n', "{i}Token = {s}\n", '{{\n  "{i}_token": "{s}"\n}}\n',
    "<{i}Token>{s}</{i}Token>\n", "{i}_token: '{s}'\n", "{i}_token: |\n  {s}\n",
    'string {i}Token = "{s}";\n', 'var {i}Token string = "{s}"\n', "{i}Token := `{s}`\n",
    'String {i}Token = "{s}";\n', '${i}Token .= "{s}";\n', "{i}Token = '{s}'\n",
    "{i}Token,{s},\n", '  "{i}Token" => "{s}"\n', '{i}_TOKEN := "{s}"\n', '{i}_TOKEN ?= "{s}"\n',
]
EXTS = [".ini", ".ini", ".json", ".xml", ".yaml", ".yaml", ".cs", ".go", ".go", ".java",
        ".php", ".py", ".csv", ".conf", ".mk", ".mk"]


def b64pem(rng):
    import base64
    body = "".join(rng.choice(B64) for _ in range(64 * 12))
    lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
    pem = f"-----BEGIN PRIVATE KEY-----\n{lines}\n-----END PRIVATE KEY-----\n"
    return base64.b64encode(pem.encode()).decode()


def draw(parts, rng):
    out = []
    for p in parts:
        if p == "b64pem":
            out.append(b64pem(rng))
        elif isinstance(p, str):
            out.append(p)
        else:
            cs, n = p
            out.append("".join(rng.choice(cs) for _ in range(n)))
    return "".join(out)


def fill(parts, ch):
    """The same shape with a one-character fill: gitleaks' low-entropy false sample."""
    return "".join(p if isinstance(p, str) and p != "b64pem" else
                   ("LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t" + ch * 200 if p == "b64pem" else ch * p[1])
                   for p in parts)


def build(root, rng):
    shutil.rmtree(root, ignore_errors=True)
    cases = []
    for n, (rule, word, parts) in enumerate(FACTS):
        for t, (tmpl, ext) in enumerate(zip(TEMPLATES, EXTS)):
            secret = draw(parts, rng)
            cases.append(("tp", rule, f"tp/{n:02}_{t:02}/sample{ext}", tmpl.format(i=word, s=secret)))
        secret = draw(parts, rng)
        fps = [f"key = {fill(parts, 'X')}\n",          # low entropy
               f"key = adf{secret}\n"]                  # glued inside a word
        for t, text in enumerate(fps):
            cases.append(("fp", rule, f"fp/{n:02}_{t:02}/sample.conf", text))
    for _, _, rel, text in cases:
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return cases


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default="target/debug/tollgate")
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
        s = by_rule.setdefault((kind, rule), [0, 0])
        s[0] += hit
        s[1] += 1
    tp = [v for (k, _), v in by_rule.items() if k == "tp"]
    fp = [v for (k, _), v in by_rule.items() if k == "fp"]
    rec = sum(h for h, _ in tp) / sum(n for _, n in tp)
    fpr = sum(h for h, _ in fp) / sum(n for _, n in fp)
    for (k, rule), (h, n) in sorted(by_rule.items()):
        if a.verbose or (k == "tp" and h < n) or (k == "fp" and h):
            print(f"{k} {rule}: {h}/{n} flagged")
    print(f"recall {rec:.3f} ({sum(h for h, _ in tp)}/{sum(n for _, n in tp)}); "
          f"false samples flagged {fpr:.3f} ({sum(h for h, _ in fp)}/{sum(n for _, n in fp)})")


if __name__ == "__main__":
    sys.exit(main())
