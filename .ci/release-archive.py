#!/usr/bin/env python3
"""Makes a release archive from a samfix wheel: the binary the wheel carries, with the README
and the licence texts, in `samfix-VERSION-TARGET/` inside `samfix-VERSION-TARGET.tar.gz`
(`.zip` for Windows). The release workflow runs it on each wheel it builds, so an archive holds
the very binary its wheel does; action/test.sh runs it to lay out a local release.

    python3 .ci/release-archive.py WHEEL TARGET OUT_DIR     (prints the archive's path)
"""
import gzip
import io
import os
import sys
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXTRAS = ("README.md", "LICENSE-MIT", "LICENSE-APACHE")


def main(wheel, target, out_dir):
    windows = "windows" in target
    exe = "samfix.exe" if windows else "samfix"
    with zipfile.ZipFile(wheel) as whl:
        found = [n for n in whl.namelist() if n.endswith(".data/scripts/" + exe)]
        if len(found) != 1:
            sys.exit(f"{wheel}: expected one {exe} in the wheel's scripts, found {found}")
        binary = whl.read(found[0])
        version = found[0].split("/")[0][len("samfix-") : -len(".data")]
    name = f"samfix-{version}-{target}"
    files = [(exe, binary, 0o755)]
    for extra in EXTRAS:
        with open(os.path.join(ROOT, extra), "rb") as f:
            files.append((extra, f.read(), 0o644))
    os.makedirs(out_dir, exist_ok=True)
    if windows:
        path = os.path.join(out_dir, name + ".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
            for member, data, mode in files:
                info = zipfile.ZipInfo(f"{name}/{member}", date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = mode << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data)
    else:
        path = os.path.join(out_dir, name + ".tar.gz")
        # No timestamps, in the gzip header either: the same wheel gives the same archive.
        with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
            with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as t:
                for member, data, mode in files:
                    info = tarfile.TarInfo(f"{name}/{member}")
                    info.size, info.mode, info.mtime = len(data), mode, 0
                    t.addfile(info, io.BytesIO(data))
    print(path)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
