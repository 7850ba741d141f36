#!/usr/bin/env bash
# Builds the Debian package image-loader_VERSION_all.deb (VERSION from package.json) into
# build/deb/, from this working tree: `npm run package:deb`. Needs node/npm, dpkg-deb and gzip;
# no network (the production node_modules are pruned from the installed ones) and no root
# (dpkg-deb --root-owner-group makes every file root's in the archive).
#
# The package: /usr/lib/image-loader (the compiled program without tests, benchmarks and examples,
# package.json, production node_modules), /usr/bin/image-loader, the systemd units,
# /etc/image-loader/*.env (conffiles), docs, a man page generated from --help, and the maintainer
# scripts of this folder.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"

version=$(node -p 'require("./package.json").version')
out_dir="$repo/build/deb"
root="$out_dir/root"
stage="$out_dir/stage"
deb="$out_dir/image-loader_${version}_all.deb"

# The changelog is written by hand: a version bump in package.json without its entry would ship a
# package whose changelog describes an older one.
changelog_version=$(sed -n '1s/^image-loader (\([^)]*\)).*/\1/p' "$here/changelog")
if [ "$changelog_version" != "$version" ]; then
  echo "build-deb: package.json says $version but helm-free-deploy/debian/changelog's first entry is '$changelog_version': add an entry." >&2
  exit 1
fi

echo "build-deb: building image-loader $version"
rm -rf "$root" "$stage" "$deb" "$out_dir/dist"
mkdir -p "$root" "$stage"

# The program compiled afresh into build/deb/dist (tsconfig.deb.json: no tests, benchmarks, examples
# or source maps), not copied from dist/: tsc never deletes, so dist/ can hold files of sources that
# no longer exist, and other test runs read dist/ while this builds.
npx --no-install tsc -p "$here/tsconfig.deb.json"
app="$root/usr/lib/image-loader"
mkdir -p "$app"
cp -a "$out_dir/dist" "$app/dist"
cp package.json "$app/"

# Production dependencies: a copy of the installed node_modules pruned to what package-lock.json
# lists for production, offline. Optional dependencies go too: the only ones are msgpackr's native
# accelerator (prebuilt per CPU), which msgpackr replaces with JavaScript when absent; without them
# the package is architecture-independent.
cp package.json package-lock.json "$stage/"
cp -a node_modules "$stage/"
(cd "$stage" && npm prune --omit=dev --omit=optional --offline --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
# What node never loads: npm's bookkeeping and links to the dependencies' command-line tools
# (.bin), their development and CI configuration (every hidden file: .eslintrc, .npmignore,
# .github/, .travis.yml...), TypeScript declarations, source maps, and their documentation (their
# license files stay, whatever their extension). A third of the files, and lintian's findings.
find "$stage/node_modules" -mindepth 1 -name '.*' -prune -exec rm -rf {} +
find "$stage/node_modules" -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
  -o \( -iname '*.md' ! -iname '*licen[cs]e*' \) \) -delete
find "$stage/node_modules" -type d -empty -delete
mv "$stage/node_modules" "$app/"

# Architecture all means no machine code: refuse to build if a native module slipped through.
node --input-type=module -e '
  import { openSync, readSync, closeSync, readdirSync } from "node:fs";
  import { join } from "node:path";
  const found = [];
  const walk = (dir) => { for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile()) { const fd = openSync(p, "r"); const b = Buffer.alloc(4); readSync(fd, b, 0, 4, 0); closeSync(fd);
      if (b.equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])) || p.endsWith(".node")) found.push(p); } } };
  walk(process.argv[1]);
  if (found.length) { console.error("build-deb: native code in an architecture-all package:\n" + found.join("\n")); process.exit(1); }
' "$app"

install -D -m 0755 "$here/image-loader" "$root/usr/bin/image-loader"
for unit in "$repo"/helm-free-deploy/systemd/*.service; do
  install -D -m 0644 "$unit" "$root/lib/systemd/system/$(basename "$unit")"
done
for env in common coordinator worker web dashboard; do
  install -D -m 0644 "$repo/helm-free-deploy/env/$env.env" "$root/etc/image-loader/$env.env"
done

doc="$root/usr/share/doc/image-loader"
install -D -m 0644 README.md "$doc/README.md"
# The README links its detail pages as docs/*.md: installed beside it, the links resolve.
for page in docs/*.md; do install -D -m 0644 "$page" "$doc/$page"; done
install -D -m 0644 helm-free-deploy/README.md "$doc/DEPLOY.md"
install -D -m 0644 helm-free-deploy/redis/image-loader.conf "$doc/examples/redis-image-loader.conf"
# A native package (its version has no Debian revision: the packaging lives with the program), so
# Debian Policy 12.7 names its changelog changelog.gz, not changelog.Debian.gz.
gzip -9n -c "$here/changelog" > "$doc/changelog.gz"
{
  cat "$here/copyright.in"
  # One line a bundled module: name, version, license.
  node --input-type=module -e '
    import { readFileSync, readdirSync, existsSync } from "node:fs";
    import { join } from "node:path";
    const root = process.argv[1];
    const lines = [];
    const visit = (dir) => { for (const name of readdirSync(dir)) {
      if (name.startsWith(".")) continue;
      const path = join(dir, name);
      if (name.startsWith("@")) { visit(path); continue; }
      const manifest = join(path, "package.json");
      if (existsSync(manifest)) { const p = JSON.parse(readFileSync(manifest, "utf8"));
        const license = typeof p.license === "string" ? p.license : p.license?.type ?? (p.licenses ?? []).map((l) => l.type ?? l).join(" OR ") ?? "see its folder";
        lines.push(` ${p.name} ${p.version}: ${license || "see its folder"}`); }
      if (existsSync(join(path, "node_modules"))) visit(join(path, "node_modules"));
    } };
    visit(root);
    console.log(lines.sort().join("\n"));
  ' "$app/node_modules"
} > "$doc/copyright"
chmod 0644 "$doc/copyright"

# A man page made from --help, so it can never disagree with the program.
man="$root/usr/share/man/man1/image-loader.1"
mkdir -p "$(dirname "$man")"
{
  echo ".TH IMAGE-LOADER 1 \"\" \"image-loader $version\" \"User Commands\""
  echo ".SH NAME"
  echo "image-loader \\- keep a fleet of web servers serving images from a list of URLs"
  echo ".SH SYNOPSIS"
  echo ".B image-loader"
  echo ".I command"
  echo "[\\fIoptions\\fR]"
  echo ".SH DESCRIPTION"
  echo ".nf"
  for command in '' fetch coordinator worker web round status dashboard; do
    if [ -n "$command" ]; then node "$app/dist/cli/image-loader.cjs" "$command" --help; else node "$app/dist/cli/image-loader.cjs" --help || true; fi
    echo
  done | sed -e 's/\\/\\e/g' -e 's/^\([.'"'"']\)/\\\&\1/' -e 's/-/\\-/g'
  echo ".fi"
  echo ".SH FILES"
  echo "/etc/image-loader/*.env: the services' settings; /lib/systemd/system/image-loader-*.service: the units."
  echo ".SH SEE ALSO"
  echo "/usr/share/doc/image-loader/README.md, /usr/share/doc/image-loader/DEPLOY.md"
} > "$man"
gzip -9n "$man"

# Every directory and file readable by all and writable by root only, whatever modes they had in the
# working tree or in npm's tarballs.
find "$root" -type d -exec chmod 0755 {} +
find "$root" -type f -exec chmod 0644 {} +
# Scripts (a "#!" line) are executable: the command, the CLI entry, the tools some modules carry.
node --input-type=module -e '
  import { openSync, readSync, closeSync, readdirSync, chmodSync } from "node:fs";
  import { join } from "node:path";
  const walk = (dir) => { for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) walk(p);
    else if (e.isFile()) { const fd = openSync(p, "r"); const b = Buffer.alloc(2); readSync(fd, b, 0, 2, 0); closeSync(fd);
      if (b.toString("latin1") === "#!") chmodSync(p, 0o755); } } };
  walk(process.argv[1]);
' "$root"

mkdir -p "$root/DEBIAN"
installed_size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@INSTALLED_SIZE@/$installed_size/" "$here/control.in" > "$root/DEBIAN/control"
install -m 0644 "$here/conffiles" "$root/DEBIAN/conffiles"
for script in postinst prerm postrm; do install -m 0755 "$here/$script" "$root/DEBIAN/$script"; done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
chmod 0644 "$root/DEBIAN/md5sums"

# Reproducible file dates (the last commit's, as dpkg-buildpackage does with SOURCE_DATE_EPOCH).
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}"
find "$root" -exec touch --no-dereference --date="@$SOURCE_DATE_EPOCH" {} +
# xz level 1: 4.0 MB in about 2 s; the default level 6 saves 1 MB for 7 to 12 s more on every build.
dpkg-deb --root-owner-group -Zxz -z1 --build "$root" "$deb" >/dev/null
rm -rf "$stage" "$out_dir/dist"
echo "build-deb: $deb ($(du -k "$deb" | cut -f1) KiB; installed $installed_size KiB)"
