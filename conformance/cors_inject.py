"""The CORS conformance run's helper, run in the oracle venv (PyYAML, cfn-lint, the oracle).

    python cors_inject.py ORACLE_DIR CORPUS_DIR {inject,convert} < requests.jsonl > results.jsonl

One JSON request per line, one JSON result per line (with the request's `id`).

inject {id, src, kind, out}: write a variant of the template SRC to OUT with one CORS problem
class injected by inserting lines only (everything else stays byte for byte, as
../shared/corpus/mutate.py does for the API key, whose text helpers this reuses). The settings
go into the `Properties` of every `AWS::Serverless::Api` that a `Type: Api` event targets, or
into `Globals.Api` (made if absent) when the events only build the implicit API.

  key         `Auth: ApiKeyRequired: true` (skipped where the Auth already has the key) and
              `Cors: "'*'"` where no Cors is set: the key's 403 has no Allow-Origin and the
              preflight does not allow `x-api-key`
  unquoted    a Cors map with `AllowOrigin: "*"` (no inner quotes: not a mapping expression)
              and `AllowHeaders: "'Content-Type', 'Authorization'"` (quoted item by item: one odd
              literal); an existing Cors map only gets the entries it lacks
  authorizer  on an Api whose DefaultAuthorizer (its own or from Globals.Api) is a Cognito or
              Lambda authorizer: `Cors: {AllowOrigin: "'https://example.com'", AllowHeaders:
              "'Content-Type'"}`, so the preflight does not allow the authorizer's header (an
              existing Cors map without AllowHeaders only gets `AllowHeaders: "'Content-Type'"`).
              An Api that defines such an authorizer but no DefaultAuthorizer gets one: the
              first of them (`Auth: DefaultAuthorizer: NAME`)

Result: {made: true, sites: [...]} or {made: false, reason: "..."}.

convert {id, src, pretty, min}: the template loaded with the oracle's loader, written as JSON
with a 2-space indent and minified on one line without a final newline (as run.py does).
"""
import json
import os
import sys
import traceback

sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])
sys.dont_write_bytecode = True
import mutate  # noqa: E402  (../shared/corpus/mutate.py: line-insertion helpers)
import sam_oracle  # noqa: E402
import yaml  # noqa: E402

from mutate import Skip, Text, append_line, block_mapping, col, entry, scalar, step, unit_of, value  # noqa: E402

KINDS = ("key", "unquoted", "authorizer")


class Keep(str):
    """A scalar entry that is added only where the key is absent (else the existing one stays)."""


def rows_of(tree, u):
    """YAML block lines for a nested dict of entries (values: text or dict)."""
    rows = []
    for k, v in tree.items():
        if isinstance(v, dict):
            rows.append(f"{k}:")
            rows += [u + r for r in rows_of(v, u)]
        else:
            rows.append(f"{k}: {v}")
    return rows


def merge(t, key, mapping, tree, unit, what):
    """Insert TREE's entries into the block MAPPING (under KEY node); returns how many were added.
    A dict value merges into an existing block mapping; a plain text value must be absent
    (Skip otherwise); a Keep value is added only if absent."""
    mapping = block_mapping(mapping, what)
    u = " " * step(key, mapping, unit)
    new, added = {}, 0
    for k, v in tree.items():
        e = entry(mapping, k)
        if e is None:
            new[k] = v
            continue
        if isinstance(v, dict):
            added += merge(t, e[0], e[1], v, unit, f"{what}.{k}")
        elif not isinstance(v, Keep):
            raise Skip(f"{what}.{k} is already set")
    if new:
        t.insert(append_line(mapping, t), col(mapping), rows_of(new, u))
        added += sum(1 for _ in new)
    return added


def ref_target(node):
    """The logical id a RestApiId names (plain string, !Ref X or {Ref: X}), or None."""
    if isinstance(node, yaml.ScalarNode) and node.tag in ("tag:yaml.org,2002:str", "!Ref"):
        return node.value
    if isinstance(node, yaml.MappingNode) and len(node.value) == 1 and node.value[0][0].value == "Ref":
        v = node.value[0][1]
        return v.value if isinstance(v, yaml.ScalarNode) else None
    return None


def targets(top, resources):
    """(explicit Api ids that Api events target, number of events on the implicit API)."""
    explicit, implicit = [], 0
    for _, r in resources.value:
        events = value(value(r, "Properties"), "Events")
        if not isinstance(events, yaml.MappingNode):
            continue
        for _, ev in events.value:
            if scalar(ev, "Type") != "Api":
                continue
            rid = value(value(ev, "Properties"), "RestApiId")
            if rid is None:
                implicit += 1
                continue
            lid = ref_target(rid)
            if lid is None:
                raise Skip("an event's RestApiId is not a Ref or a name")
            if lid not in explicit:
                explicit.append(lid)
    apis = [k.value for k, r in resources.value if scalar(r, "Type") == "AWS::Serverless::Api"]
    return [a for a in apis if a in explicit], implicit


def authorizer_type(auth_maps, name):
    """cognito / lambda / other for the authorizer NAME defined in one of AUTH_MAPS."""
    if name == "AWS_IAM":
        return "AWS_IAM"
    for auth in auth_maps:
        a = value(value(auth, "Authorizers"), name)
        if isinstance(a, yaml.MappingNode):
            if entry(a, "UserPoolArn"):
                return "cognito"
            if entry(a, "FunctionArn"):
                return "lambda"
            return "other"
    return "undefined"


def tree_for(kind, props, gauth):
    """The entries KIND puts into an Api's PROPS (None when Globals.Api is still to be made)."""
    cors = value(props, "Cors") if props is not None else None
    if kind == "key":
        t = {"Auth": {"ApiKeyRequired": "true"}}
        gcors = gauth is not None and gauth.get("cors") is not None
        if not gcors:
            t["Cors"] = Keep("\"'*'\"")
        return t, ""
    if kind == "unquoted":
        if cors is not None and not isinstance(cors, yaml.MappingNode):
            raise Skip("Cors is a string or an intrinsic, not a map")
        return {"Cors": {"AllowOrigin": Keep('"*"'), "AllowHeaders": Keep("\"'Content-Type', 'Authorization'\"")}}, ""
    # authorizer
    auth = value(props, "Auth") if props is not None else None
    maps = [m for m in (auth, gauth and gauth.get("auth")) if isinstance(m, yaml.MappingNode)]
    default = next((scalar(m, "DefaultAuthorizer") for m in maps if entry(m, "DefaultAuthorizer")), None)
    tree, note = {}, ""
    if default is None:
        # none yet: the first Cognito or Lambda authorizer the Api defines becomes its default
        names = [k.value for m in maps for k, _ in (value(m, "Authorizers").value
                 if isinstance(value(m, "Authorizers"), yaml.MappingNode) else [])]
        default = next((n for n in names if authorizer_type(maps, n) in ("cognito", "lambda")), None)
        if default is None or props is None or (auth is not None and not isinstance(auth, yaml.MappingNode)):
            raise Skip("no DefaultAuthorizer, and no Cognito or Lambda authorizer to make one")
        tree["Auth"] = {"DefaultAuthorizer": default}
        note = " added"
    typ = authorizer_type(maps, default)
    if typ not in ("cognito", "lambda"):
        raise Skip(f"the DefaultAuthorizer is {typ}, not Cognito or Lambda")
    if cors is None:
        tree["Cors"] = "{AllowOrigin: \"'https://example.com'\", AllowHeaders: \"'Content-Type'\"}"
    elif not isinstance(cors, yaml.MappingNode):
        raise Skip("Cors is a string or an intrinsic, not a map")
    elif entry(cors, "AllowHeaders"):
        raise Skip("Cors already has AllowHeaders")
    else:
        tree["Cors"] = {"AllowHeaders": "\"'Content-Type'\""}
    return tree, f"{typ} DefaultAuthorizer{note}"


def inject(req):
    kind = req["kind"]
    raw = open(req["src"], "rb").read()
    try:
        t = Text(raw)
        root = yaml.compose(t.text, Loader=mutate.Loader)
        top = block_mapping(root, "template")
        unit = unit_of(root)
        res = entry(top, "Resources")
        if not res:
            raise Skip("no Resources")
        resources = block_mapping(res[1], "Resources")
        explicit, implicit = targets(top, resources)
        glob = entry(top, "Globals")
        gapi = entry(glob and glob[1], "Api")
        if gapi is not None:
            block_mapping(gapi[1], "Globals.Api")
        gauth = {"auth": value(gapi and gapi[1], "Auth"), "cors": value(gapi and gapi[1], "Cors")}
        sites, added = [], 0
        if explicit:
            for lid in explicit:
                r = value(resources, lid)
                block_mapping(r, lid)
                props = entry(r, "Properties")
                if not props:
                    raise Skip(f"{lid} has no Properties")
                tree, note = tree_for(kind, props[1], gauth)
                added += merge(t, props[0], props[1], tree, unit, f"{lid}.Properties")
                sites.append(lid + (f" ({note})" if note else ""))
        elif implicit:
            if gapi is not None:
                tree, note = tree_for(kind, gapi[1], None)
                added += merge(t, gapi[0], gapi[1], tree, unit, "Globals.Api")
            else:
                tree, note = tree_for(kind, None, None)
                if glob is None:  # a new Globals right before Resources
                    u = " " * step(res[0], resources, unit)
                    rows = ["Globals:", u + "Api:"] + [2 * u + r for r in rows_of(tree, u)] + [""]
                    line = res[0].start_mark.line
                    while t.is_comment(line - 1):
                        line -= 1
                    t.insert(line, col(top), rows)
                else:
                    gmap = block_mapping(glob[1], "Globals")
                    u = " " * step(glob[0], gmap, unit)
                    t.insert(append_line(gmap, t), col(gmap), ["Api:"] + [u + r for r in rows_of(tree, u)])
                added += 1
            sites.append("Globals.Api" + (f" ({note})" if note else ""))
        else:
            raise Skip("no Type: Api event")
        if not added:
            raise Skip("every setting is already there")
    except Skip as e:
        return {"made": False, "reason": str(e)}
    data = t.result()
    yaml.compose(data.decode("utf-8-sig"), Loader=mutate.Loader)  # still one YAML document
    with open(req["out"], "wb") as fh:
        fh.write(data)
    return {"made": True, "sites": sites}


def convert(req):
    sam_oracle.WARNINGS.clear()
    t = sam_oracle.load_template(req["src"])
    with open(req["pretty"], "w", encoding="utf-8") as fh:
        fh.write(json.dumps(t, indent=2, ensure_ascii=False) + "\n")
    with open(req["min"], "w", encoding="utf-8") as fh:
        fh.write(json.dumps(t, separators=(",", ":"), ensure_ascii=False))
    return {"warnings": list(sam_oracle.WARNINGS)}


def main():
    fn = {"inject": inject, "convert": convert}[sys.argv[3]]
    for line in sys.stdin:
        req = json.loads(line)
        try:
            out = fn(req)
            out["ok"] = True
        except Exception as e:  # noqa: BLE001
            out = {"ok": False, "error": f"{type(e).__name__}: {' '.join(str(e).split())}",
                   "trace": traceback.format_exc()[-800:]}
        out["id"] = req["id"]
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    main()
