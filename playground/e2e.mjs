// End-to-end test of the playground in headless Chromium, against the samfix command line.
// Run by e2e.sh, which builds the page, serves it and sets the environment:
//   BASE_URL  the served playground      SAMFIX  the samfix binary
//   ROOT      the repository             WORK    a scratch directory
//   BIG       a 1 MB template            SCREENSHOT  where to save the page's picture
// Prints "ok - ..." per check, the measurements, and "N passed, N failed" last.
import { chromium } from "playwright-core";
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync, readdirSync, copyFileSync, mkdirSync } from "node:fs";
import { join, basename } from "node:path";
import { gzipSync } from "node:zlib";

const { BASE_URL, SAMFIX, ROOT, WORK, BIG, SCREENSHOT } = process.env;
for (const [name, value] of Object.entries({ BASE_URL, SAMFIX, ROOT, WORK, BIG })) {
  if (!value) throw new Error(`${name} is not set`);
}

let passed = 0;
let failed = 0;
function ok(name) {
  passed++;
  console.log(`ok - ${name}`);
}
function notOk(name, detail) {
  failed++;
  console.log(`not ok - ${name}`);
  if (detail) console.log(String(detail).split("\n").slice(0, 30).map((l) => `  | ${l}`).join("\n"));
}
async function check(name, body) {
  try {
    await body();
    ok(name);
  } catch (error) {
    notOk(name, error?.stack ?? error);
  }
}
function equal(actual, expected, what) {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}:\n  expected ${e.slice(0, 2000)}\n  got      ${a.slice(0, 2000)}`);
}
function assert(condition, what) {
  if (!condition) throw new Error(what);
}

/** Runs samfix; exit statuses 0 and 1 (a fix pending) are both answers. */
function samfix(args, options = {}) {
  try {
    return execFileSync(SAMFIX, args, { encoding: "utf8", maxBuffer: 1 << 28, stdio: ["pipe", "pipe", "ignore"], ...options });
  } catch (error) {
    if (error.status === 1 || error.status === 2) return error.stdout;
    throw error;
  }
}
/** What `samfix --write` writes for `file`, on a copy. */
function written(file, extra = []) {
  const dir = join(WORK, `write-${Math.random().toString(36).slice(2)}`);
  mkdirSync(dir);
  const copy = join(dir, basename(file));
  copyFileSync(file, copy);
  samfix(["--write", "--quiet", ...extra, copy]);
  return readFileSync(copy);
}
const placeOf = (item) => [item.rule, item.location.start_line, item.location.start_column];
const errorPlaceOf = (error) => (error.location ? [error.location.start_line, error.location.start_column] : null);

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-quic",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: FLAGS });
const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, acceptDownloads: true });
const requests = [];
context.on("request", (request) => requests.push(request.url()));
const page = await context.newPage();
const consoleErrors = [];
page.on("pageerror", (error) => consoleErrors.push(String(error)));
page.on("console", (message) => message.type() === "error" && consoleErrors.push(message.text()));

/** Waits until the page has checked what the editor holds. */
async function settled() {
  await page.waitForFunction(() => {
    const p = window.samfixPlayground;
    return p && p.checkedSource() !== undefined && p.checkedSource() === p.source();
  });
}
async function shownFindings() {
  return page.$$eval("#findings li[data-rule]", (items) =>
    items.map((li) => [li.dataset.rule, Number(li.dataset.line), Number(li.dataset.column)]),
  );
}
async function shownErrors() {
  return page.$$eval("#errors li", (items) =>
    items.map((li) => (li.dataset.line ? [Number(li.dataset.line), Number(li.dataset.column)] : null)),
  );
}
async function downloadFixed() {
  const [download] = await Promise.all([page.waitForEvent("download"), page.click("#download")]);
  const path = join(WORK, `download-${Math.random().toString(36).slice(2)}`);
  await download.saveAs(path);
  return { bytes: readFileSync(path), name: download.suggestedFilename() };
}
/** Types a template in as a paste would: the editor's value changes and it fires input. */
async function paste(text) {
  await page.fill("#source", text);
  await settled();
}

const example = join(ROOT, "examples/template.yaml");
const exampleJson = JSON.parse(samfix(["--format", "json", example]));
const cliExample = exampleJson.files[0];

await page.goto(BASE_URL);
try {
  await page.waitForSelector("body[data-ready=true]", { timeout: 15_000 });
} catch (error) {
  console.log(`the page did not start: ${consoleErrors.join("\n") || error}`);
  throw error;
}

await check("load the example: the api-key-on-preflight finding at the CLI's line", async () => {
  await page.click("#example");
  await settled();
  const expected = cliExample.findings.find((f) => f.rule === "api-key-on-preflight");
  assert(expected, "the CLI finds api-key-on-preflight in the example");
  const keyLine = readFileSync(example, "utf8").split("\n").findIndex((l) => l.includes("ApiKeyRequired: true")) + 1;
  equal(expected.location.start_line, keyLine, "the CLI's line is the key's");
  const shown = await shownFindings();
  assert(
    shown.some((f) => f[0] === "api-key-on-preflight" && f[1] === keyLine),
    `no api-key-on-preflight at line ${keyLine}: ${JSON.stringify(shown)}`,
  );
  equal(shown, cliExample.findings.map(placeOf), "every finding of the example");
  const marked = await page.$$eval("#backdrop .mark.hit", (marks) => marks.map((m) => Number(m.dataset.line)));
  assert(marked.includes(keyLine), `line ${keyLine} is highlighted in the editor: ${marked}`);
});

await check("the example's diff is samfix --diff's", async () => {
  const expected = samfix(["--diff", "template.yaml"], { cwd: join(ROOT, "examples") });
  assert(expected.startsWith("--- a/template.yaml"), "the CLI prints a diff");
  equal(await page.textContent("#diff"), expected, "the diff shown");
});

if (SCREENSHOT) {
  await check(`screenshot of the example saved to ${SCREENSHOT}`, async () => {
    await page.screenshot({ path: SCREENSHOT });
  });
}

await check("download the fixed example: byte for byte what samfix --write writes", async () => {
  const { bytes, name } = await downloadFixed();
  equal(name, "template.yaml", "the file's name");
  const expected = written(example);
  assert(!expected.equals(readFileSync(example)), "samfix --write changes the example");
  assert(bytes.equals(expected), `the download differs from samfix --write:\n${bytes}`);
});

for (const strategy of ["flag", "events"]) {
  await check(`strategy ${strategy}: findings and download as samfix --strategy ${strategy}`, async () => {
    await page.selectOption("#strategy", strategy);
    await settled();
    const cli = JSON.parse(samfix(["--format", "json", "--strategy", strategy, example])).files[0];
    equal(await shownFindings(), cli.findings.map(placeOf), "findings");
    const shownFix = await page.$$eval("#findings .fix", (fixes) => fixes.map((f) => f.textContent));
    const cliFix = cli.findings.find((f) => f.fix && f.rule === "api-key-on-preflight").fix;
    assert(shownFix.some((text) => text.startsWith(`fix (${cliFix.strategy})`)), `fix strategy shown: ${shownFix}`);
    const { bytes } = await downloadFixed();
    assert(bytes.equals(written(example, ["--strategy", strategy])), "the download differs from samfix --write");
  });
}
await page.selectOption("#strategy", "auto");
await settled();

await check("a rule's explanation is one click away: samfix --explain's page", async () => {
  await page.click('#findings li[data-rule="api-key-on-preflight"] button.rule');
  await page.waitForSelector("#explain-box:not([hidden])");
  equal(await page.textContent("#explain"), samfix(["--explain", "api-key-on-preflight"]), "the page shown");
  await page.click("#explain-close");
});

await check("rule selection: only the chosen rule runs, as samfix --select", async () => {
  const rule = "origin-invalid";
  await page.click("#rules-picker summary");
  const boxes = await page.$$("#rule-list input");
  for (const box of boxes) {
    if ((await box.getAttribute("value")) !== rule) await box.uncheck();
  }
  await settled();
  const cli = JSON.parse(samfix(["--format", "json", "--select", rule, example])).files[0];
  equal(await shownFindings(), cli.findings.map(placeOf), "findings");
  for (const box of boxes) await box.check();
  await page.click("#rules-picker summary");
  await settled();
  equal(await shownFindings(), cliExample.findings.map(placeOf), "all rules again");
});

await check("the template travels in the address's fragment, compressed", async () => {
  await page.waitForFunction(() => location.hash.includes("t="));
  const url = page.url();
  const text = readFileSync(example, "utf8");
  assert(url.length < text.length, `the link (${url.length} chars) is shorter than the template (${text.length})`);
  const other = await context.newPage();
  await other.goto(url);
  await other.waitForSelector("body[data-ready=true]");
  await other.waitForFunction(() => window.samfixPlayground.checkedSource() !== undefined);
  equal(await other.inputValue("#source"), text, "the editor's text from the link");
  const found = await other.$$eval("#findings li[data-rule]", (items) => items.map((li) => li.dataset.rule));
  equal(found, cliExample.findings.map((f) => f.rule), "the findings from the link");
  await other.close();
});

await check("drop a file on the editor", async () => {
  const content = readFileSync(join(ROOT, "tests/fixtures/default_authorizer.yaml"), "utf8");
  const transfer = await page.evaluateHandle((text) => {
    const data = new DataTransfer();
    data.items.add(new File([text], "dropped.yaml", { type: "application/x-yaml" }));
    return data;
  }, content);
  await page.dispatchEvent("#editor", "drop", { dataTransfer: transfer });
  await page.waitForFunction(() => document.getElementById("filename").textContent === "dropped.yaml");
  await settled();
  const cli = JSON.parse(samfix(["--format", "json", join(ROOT, "tests/fixtures/default_authorizer.yaml")])).files[0];
  equal(await shownFindings(), cli.findings.map(placeOf), "findings of the dropped file");
});

await check("invalid YAML: the error with its line and column, as the CLI gives it", async () => {
  const invalid = "Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Api\n    Properties: [unclosed\n  Other: 1\n";
  const cli = JSON.parse(samfix(["--format", "json", "-"], { input: invalid })).files[0];
  assert(cli.errors.length === 1 && cli.errors[0].location, `the CLI reports one placed error: ${JSON.stringify(cli.errors)}`);
  await paste(invalid);
  equal(await shownErrors(), cli.errors.map(errorPlaceOf), "errors");
  const text = await page.textContent("#errors li");
  assert(text.includes(`line ${cli.errors[0].location.start_line}, column`), `the line is shown: ${text}`);
  assert(text.includes(cli.errors[0].message), `the message is shown: ${text}`);
  assert(await page.isDisabled("#download"), "no download of a template that could not be checked");
});

await check("not a template: the error with its line and column, as the CLI gives it", async () => {
  const notTemplate = "Transform: AWS::Serverless-2016-10-31\nDescription: an API\nResources: 3\n";
  const cli = JSON.parse(samfix(["--format", "json", "-"], { input: notTemplate })).files[0];
  assert(cli.errors.length === 1 && cli.errors[0].location, `the CLI reports one placed error: ${JSON.stringify(cli.errors)}`);
  await paste(notTemplate);
  equal(await shownErrors(), cli.errors.map(errorPlaceOf), "errors");
  const marked = await page.$$eval("#backdrop .mark.err", (marks) => marks.map((m) => Number(m.dataset.line)));
  equal(marked, [cli.errors[0].location.start_line], "the error's line is highlighted");
});

const fixtures = readdirSync(join(ROOT, "tests/fixtures"))
  .filter((name) => /\.(ya?ml|json|template)$/.test(name))
  .sort()
  .map((name) => join(ROOT, "tests/fixtures", name));
const cliFixtures = new Map(
  JSON.parse(samfix(["--format", "json", "--exit-zero", ...fixtures])).files.map((file) => [basename(file.path), file]),
);
let compared = 0;
let withFindings = 0;
const mismatches = [];
const downloadMismatches = [];
for (const file of fixtures) {
  const cli = cliFixtures.get(basename(file));
  if (!cli) {
    mismatches.push(`${basename(file)}: the CLI did not report it`);
    continue;
  }
  const expected = { findings: cli.findings.map(placeOf), errors: cli.errors.map(errorPlaceOf) };
  // Pasted: the editor's text, whose line endings the browser makes \n.
  await paste(readFileSync(file, "utf8"));
  const pasted = { findings: await shownFindings(), errors: await shownErrors() };
  if (JSON.stringify(pasted) !== JSON.stringify(expected)) {
    mismatches.push(`${basename(file)} pasted: expected ${JSON.stringify(expected)}, got ${JSON.stringify(pasted)}`);
  }
  // Opened: the file's exact bytes, whose fix must be the one --write makes.
  await page.setInputFiles("#file", file);
  await page.waitForFunction((name) => document.getElementById("filename").textContent === name, basename(file));
  await settled();
  const opened = { findings: await shownFindings(), errors: await shownErrors() };
  if (JSON.stringify(opened) !== JSON.stringify(expected)) {
    mismatches.push(`${basename(file)} opened: expected ${JSON.stringify(expected)}, got ${JSON.stringify(opened)}`);
  }
  if (cli.errors.length === 0) {
    const { bytes } = await downloadFixed();
    if (!bytes.equals(written(file))) downloadMismatches.push(basename(file));
  }
  compared++;
  withFindings += cli.findings.length > 0 ? 1 : 0;
}
await check(`every template of tests/fixtures (${compared}, ${withFindings} with findings), pasted and opened: the CLI's findings and errors (rule, line, column)`, async () => {
  assert(compared === fixtures.length && compared > 0, `compared ${compared} of ${fixtures.length}`);
  assert(mismatches.length === 0, mismatches.join("\n"));
});
await check("every fixture opened as a file downloads as samfix --write writes it", async () => {
  assert(downloadMismatches.length === 0, downloadMismatches.join("\n"));
});

await check("nothing is requested from anywhere but the page's own address", async () => {
  const origin = new URL(BASE_URL).origin;
  const foreign = requests.filter((url) => !url.startsWith(origin) && !url.startsWith("blob:") && !url.startsWith("data:"));
  assert(requests.length > 0, "requests were recorded");
  assert(foreign.length === 0, foreign.join("\n"));
});

await check("no errors in the page's console", async () => {
  assert(consoleErrors.length === 0, consoleErrors.join("\n"));
});

// --- measurements: the engine inside Chromium, and the size of the .wasm ---------------
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const exampleText = readFileSync(example, "utf8");
const bigText = readFileSync(BIG, "utf8");
let exampleMs = NaN;
let bigMs = NaN;
await check("the page checks and fixes the example and the 1 MB template", async () => {
  const time = (text, runs) => page.evaluate(([t, n]) => window.samfixPlayground.time(t, "auto", n), [text, runs]);
  await time(exampleText, 5);
  exampleMs = median(await time(exampleText, 41));
  await time(bigText, 1);
  bigMs = median(await time(bigText, 7));
  // The 1 MB template's fix is real: the same as samfix --write's.
  await page.setInputFiles("#file", BIG);
  await page.waitForFunction((name) => document.getElementById("filename").textContent === name, basename(BIG));
  await settled();
  const { bytes } = await downloadFixed();
  assert(bytes.equals(written(BIG)), "the 1 MB template's download differs from samfix --write");
});
const wasm = readFileSync(join(ROOT, "playground/dist/pkg/samfix_wasm_bg.wasm"));
const wasmGzip = gzipSync(wasm, { level: 9 }).length;
const rows = [
  ["check + fix, examples/template.yaml (median of 41)", `${exampleMs.toFixed(2)} ms`, "< 20 ms", exampleMs < 20],
  [`check + fix, ${(bigText.length / 1e6).toFixed(2)} MB template (median of 7)`, `${bigMs.toFixed(1)} ms`, "< 300 ms", bigMs < 300],
  [".wasm, gzip -9", `${(wasmGzip / 1024).toFixed(0)} KB (${(wasm.length / 1024).toFixed(0)} KB raw)`, "< 400 KB", wasmGzip < 400 * 1024],
];
console.log("# playground measurements (Chromium " + browser.version() + ")");
console.log("| measure | value | target | met |\n| --- | --- | --- | --- |");
for (const [what, value, target, met] of rows) console.log(`| ${what} | ${value} | ${target} | ${met ? "yes" : "**no**"} |`);
if (process.env.MEASUREMENTS) {
  writeFileSync(process.env.MEASUREMENTS, JSON.stringify({ exampleMs, bigMs, bigBytes: bigText.length, wasmGzip, wasmBytes: wasm.length }));
}

await browser.close();
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
