// The samfix playground: the engine (samfix-wasm, compiled to WebAssembly) checks the
// template in the editor on every change. Nothing is sent anywhere: the only requests are
// for this page's own files.

import init, { check, rules, strategies, version } from "./pkg/samfix_wasm.js";

interface Location {
  start_line: number;
  start_column: number;
  end_line: number;
  end_column: number;
}
interface FindingOut {
  rule: string;
  api: string;
  message: string;
  label: string;
  setting: string;
  location: Location;
  preflight: string;
  fix: { strategy: string; reason: string; changes: string[] } | null;
  needs_human: string | null;
  needs_human_kind: string | null;
}
interface WarningOut {
  kind: string;
  message: string;
  help: string | null;
  location: Location;
}
interface ErrorOut {
  message: string;
  location: Location | null;
  related: Location | null;
}
interface Report {
  findings: FindingOut[];
  warnings: WarningOut[];
  errors: ErrorOut[];
  changed: boolean;
}
interface RuleInfo {
  id: string;
  summary: string;
  fix: string;
  page: string;
}
/** One check of a text: what the engine returned and how long it took. */
interface Analysis {
  source: string;
  report: Report;
  diff: string;
  fixed: string | undefined;
  ms: number;
}

const LINE_HEIGHT = 20;
const PADDING = 6;
/** Larger templates are not put in the link: browsers cut long addresses. */
const MAX_LINK_SOURCE = 256 * 1024;

function el<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing`);
  return found as T;
}

const textarea = el<HTMLTextAreaElement>("source");
const backdrop = el<HTMLPreElement>("backdrop");
const gutter = el<HTMLPreElement>("gutter");
const editor = el<HTMLDivElement>("editor");
const strategySelect = el<HTMLSelectElement>("strategy");
const ruleList = el<HTMLDivElement>("rule-list");
const downloadButton = el<HTMLButtonElement>("download");
const status = el<HTMLSpanElement>("status");

let ruleInfo: RuleInfo[] = [];
/** The template as loaded or typed. A file keeps its exact text (a byte order mark, CRLF
 * line endings), which the editor's value would normalize, until it is edited. */
let source = "";
let fileName = "template.yaml";
let last: Analysis | undefined;
let pending: number | undefined;

/** Runs the engine on `text`: the check, the fix and its diff. */
function analyse(text: string, strategy: string, select: string): Analysis {
  const start = performance.now();
  const outcome = check(text, fileName, strategy, select, "");
  try {
    const report = JSON.parse(outcome.report()) as Report;
    const diff = outcome.diff();
    const fixed = outcome.fixed();
    return { source: text, report, diff, fixed, ms: performance.now() - start };
  } finally {
    outcome.free();
  }
}

function selectedRules(): string {
  const boxes = [...ruleList.querySelectorAll<HTMLInputElement>("input[type=checkbox]")];
  const chosen = boxes.filter((box) => box.checked).map((box) => box.value);
  el("rule-count").textContent =
    chosen.length === boxes.length ? "all" : `${chosen.length} of ${boxes.length}`;
  // No rule chosen runs none: a rule that is not listed is not selected.
  return chosen.length === boxes.length ? "" : chosen.length === 0 ? "-" : chosen.join(",");
}

function item(tag: string, className: string, text: string): HTMLElement {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = text;
  return node;
}

function run(): void {
  pending = undefined;
  const select = selectedRules();
  let analysis: Analysis;
  if (select === "-") {
    analysis = {
      source,
      report: { findings: [], warnings: [], errors: [], changed: false },
      diff: "",
      fixed: source,
      ms: 0,
    };
  } else {
    analysis = analyse(source, strategySelect.value, select);
  }
  last = analysis;
  render(analysis);
  void updateLink();
}

function schedule(): void {
  if (pending !== undefined) clearTimeout(pending);
  status.textContent = "checking…";
  pending = window.setTimeout(run, source.length > 200_000 ? 300 : 60);
}

function render(analysis: Analysis): void {
  const { report } = analysis;
  const findings = el<HTMLUListElement>("findings");
  findings.replaceChildren();
  for (const finding of report.findings) {
    const li = document.createElement("li");
    li.dataset.rule = finding.rule;
    li.dataset.line = String(finding.location.start_line);
    li.dataset.column = String(finding.location.start_column);
    const head = document.createElement("div");
    const rule = item("button", "rule", finding.rule);
    rule.title = "Explain this rule";
    rule.addEventListener("click", () => explain(finding.rule));
    const at = item("span", "where", ` line ${finding.location.start_line}, column ${finding.location.start_column}`);
    at.title = "Show in the template";
    at.addEventListener("click", () => reveal(finding.location));
    head.append(rule, at, item("span", "where", ` · ${finding.api}`));
    li.append(head, item("p", "msg", finding.message));
    li.append(item("div", "where", `${finding.setting}: ${finding.label}`));
    if (finding.fix) {
      li.append(item("div", "fix", `fix (${finding.fix.strategy}): ${finding.fix.reason}`));
      for (const change of finding.fix.changes) li.append(item("div", "fix", `  · ${change}`));
    }
    if (finding.needs_human) {
      li.append(item("div", "human", `needs a human: ${finding.needs_human}`));
    }
    findings.append(li);
  }
  if (report.findings.length === 0 && report.errors.length === 0) {
    findings.append(item("li", "empty", "Nothing breaks a browser's call here."));
  }
  el("finding-count").textContent = report.findings.length ? `(${report.findings.length})` : "";

  const errors = el<HTMLUListElement>("errors");
  errors.replaceChildren();
  for (const error of report.errors) {
    const li = document.createElement("li");
    let text = error.message;
    if (error.location) {
      li.dataset.line = String(error.location.start_line);
      li.dataset.column = String(error.location.start_column);
      text = `line ${error.location.start_line}, column ${error.location.start_column}: ${text}`;
      const location = error.location;
      li.addEventListener("click", () => reveal(location));
    }
    if (error.related) {
      text += ` (first at line ${error.related.start_line}, column ${error.related.start_column})`;
    }
    li.textContent = text;
    errors.append(li);
  }
  el("errors-box").hidden = report.errors.length === 0;

  const warnings = el<HTMLUListElement>("warnings");
  warnings.replaceChildren();
  for (const warning of report.warnings) {
    const li = document.createElement("li");
    li.dataset.line = String(warning.location.start_line);
    li.append(item("span", "where", `${warning.kind} · line ${warning.location.start_line}, column ${warning.location.start_column}`));
    li.append(item("p", "msg", warning.message));
    if (warning.help) li.append(item("div", "where", warning.help));
    warnings.append(li);
  }
  el("warnings-box").hidden = report.warnings.length === 0;

  renderDiff(analysis);
  downloadButton.disabled = analysis.fixed === undefined;
  downloadButton.textContent = report.changed ? "Download the fixed template" : "Download the template (nothing to fix)";
  status.textContent = report.errors.length
    ? "could not be checked"
    : `checked and fixed in ${analysis.ms.toFixed(1)} ms`;
  renderMarks(report);
}

function renderDiff(analysis: Analysis): void {
  const pre = el<HTMLPreElement>("diff");
  pre.replaceChildren();
  if (!analysis.diff) {
    pre.textContent = analysis.report.errors.length ? "No fix: the template could not be checked." : "Nothing to change.";
    pre.classList.add("empty");
    return;
  }
  pre.classList.remove("empty");
  if (analysis.diff.length > 200_000) {
    pre.textContent = analysis.diff;
    return;
  }
  for (const line of analysis.diff.split(/(?<=\n)/)) {
    const kind = line.startsWith("@@") ? "hunk" : line.startsWith("+") && !line.startsWith("+++") ? "add" : line.startsWith("-") && !line.startsWith("---") ? "del" : "";
    pre.append(kind ? item("span", kind, line) : document.createTextNode(line));
  }
}

/** Marks the lines the findings and errors are about, behind the editor's text. */
function renderMarks(report: Report): void {
  const text = textarea.value;
  let lines = 1;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) lines++;
  const numbers: string[] = [];
  for (let i = 1; i <= lines; i++) numbers.push(String(i));
  gutter.textContent = numbers.join("\n");
  backdrop.replaceChildren();
  const mark = (location: Location, kind: string) => {
    const div = document.createElement("div");
    div.className = `mark ${kind}`;
    div.dataset.line = String(location.start_line);
    div.style.top = `${PADDING + (location.start_line - 1) * LINE_HEIGHT}px`;
    div.style.height = `${(location.end_line - location.start_line + 1) * LINE_HEIGHT}px`;
    backdrop.append(div);
  };
  for (const finding of report.findings) mark(finding.location, "hit");
  for (const error of report.errors) if (error.location) mark(error.location, "err");
  syncScroll();
}

function syncScroll(): void {
  backdrop.style.transform = `translateY(${-textarea.scrollTop}px)`;
  gutter.scrollTop = textarea.scrollTop;
}

/** Scrolls the editor to a place and selects its line. */
function reveal(location: Location): void {
  const lines = textarea.value.split("\n");
  let offset = 0;
  for (let i = 0; i < location.start_line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
  const end = offset + (lines[location.start_line - 1]?.length ?? 0);
  textarea.focus();
  textarea.setSelectionRange(offset, end);
  textarea.scrollTop = Math.max(0, (location.start_line - 5) * LINE_HEIGHT);
  syncScroll();
}

function explain(id: string): void {
  const rule = ruleInfo.find((r) => r.id === id);
  if (!rule) return;
  el("explain-rule").textContent = id;
  el("explain").textContent = rule.page;
  el("explain-box").hidden = false;
  el("explain-box").scrollIntoView({ block: "nearest" });
}

/** Puts a new template in the editor, keeping its exact text for the check. */
function load(text: string, name: string): void {
  source = text;
  fileName = name;
  el("filename").textContent = name;
  textarea.value = text;
  textarea.scrollTop = 0;
  run();
}

async function loadFile(file: File): Promise<void> {
  // Decoded with the byte order mark kept, as samfix reads the file.
  const text = new TextDecoder("utf-8", { ignoreBOM: true }).decode(await file.arrayBuffer());
  load(text, file.name);
}

function download(): void {
  if (!last || last.fixed === undefined) return;
  const blob = new Blob([last.fixed], { type: "application/octet-stream" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = fileName;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
}

// --- the template in the address's fragment: deflate-raw, then base64url ---------------

function toBase64Url(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

async function pipe(bytes: Uint8Array<ArrayBuffer>, transform: GenericTransformStream): Promise<Uint8Array<ArrayBuffer>> {
  const stream = new Blob([bytes]).stream().pipeThrough(transform as TransformStream<Uint8Array, Uint8Array>);
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

async function pack(text: string): Promise<string> {
  return toBase64Url(await pipe(new TextEncoder().encode(text), new CompressionStream("deflate-raw")));
}

async function unpack(packed: string): Promise<string> {
  const bytes = await pipe(fromBase64Url(packed), new DecompressionStream("deflate-raw"));
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(bytes);
}

async function updateLink(): Promise<void> {
  const params = new URLSearchParams();
  if (strategySelect.value !== "auto") params.set("strategy", strategySelect.value);
  const select = selectedRules();
  if (select && select !== "-") params.set("select", select);
  if (fileName !== "template.yaml") params.set("name", fileName);
  if (source && source.length <= MAX_LINK_SOURCE) params.set("t", await pack(source));
  const hash = params.toString();
  history.replaceState(null, "", hash ? `#${hash}` : location.pathname + location.search);
}

async function fromLink(): Promise<boolean> {
  const params = new URLSearchParams(location.hash.slice(1));
  const strategy = params.get("strategy");
  if (strategy && [...strategySelect.options].some((o) => o.value === strategy)) strategySelect.value = strategy;
  const select = params.get("select");
  if (select) {
    const ids = new Set(select.split(","));
    for (const box of ruleList.querySelectorAll<HTMLInputElement>("input")) box.checked = ids.has(box.value);
  }
  const packed = params.get("t");
  if (!packed) return false;
  try {
    load(await unpack(packed), params.get("name") ?? "template.yaml");
    return true;
  } catch {
    status.textContent = "the link's template could not be read";
    return false;
  }
}

async function loadExample(): Promise<void> {
  const response = await fetch("example.yaml");
  load(await response.text(), "template.yaml");
}

/** For the end-to-end test and the benchmark: the engine's time on a text, per run. */
function time(text: string, strategy: string, runs: number): number[] {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push(analyse(text, strategy, "").ms);
  return times;
}

async function main(): Promise<void> {
  await init();
  ruleInfo = JSON.parse(rules()) as RuleInfo[];
  el("version").textContent = version();
  for (const name of strategies()) strategySelect.append(new Option(name, name));
  for (const rule of ruleInfo) {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = rule.id;
    box.checked = true;
    label.title = rule.summary;
    label.append(box, ` ${rule.id}`);
    ruleList.append(label);
  }
  ruleList.addEventListener("change", run);
  strategySelect.addEventListener("change", run);
  textarea.addEventListener("input", () => {
    source = textarea.value;
    schedule();
  });
  textarea.addEventListener("scroll", syncScroll);
  el("example").addEventListener("click", () => void loadExample());
  el<HTMLInputElement>("file").addEventListener("change", (event) => {
    const file = (event.target as HTMLInputElement).files?.[0];
    if (file) void loadFile(file);
  });
  editor.addEventListener("dragover", (event) => {
    event.preventDefault();
    editor.classList.add("dragging");
  });
  editor.addEventListener("dragleave", () => editor.classList.remove("dragging"));
  editor.addEventListener("drop", (event) => {
    event.preventDefault();
    editor.classList.remove("dragging");
    const file = event.dataTransfer?.files[0];
    if (file) void loadFile(file);
  });
  downloadButton.addEventListener("click", download);
  el("share").addEventListener("click", () => {
    void updateLink().then(() => navigator.clipboard?.writeText(location.href)).then(
      () => (status.textContent = "link copied"),
      () => (status.textContent = "the address bar holds the link"),
    );
  });
  el("explain-close").addEventListener("click", () => (el("explain-box").hidden = true));
  if (!(await fromLink())) run();
  Object.assign(window, {
    samfixPlayground: {
      time,
      /** The text of the last check, to know when the page has caught up with the editor. */
      checkedSource: () => (pending === undefined ? last?.source : undefined),
      source: () => source,
    },
  });
  document.body.dataset.ready = "true";
}

void main();
