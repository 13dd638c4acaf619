// The review page: plain JavaScript over the JSON API (/api/v1), no build step, nothing fetched from
// elsewhere. Views are chosen by the URL's hash (#/batches, #/batches/ID, #/invoices, #/invoices/ID,
// #/documents, #/documents/ID). An API key, when the service needs one, is kept for the browser session
// and sent as X-API-Key with every request.
"use strict";

// The invoice's fields, in the order of invoice_reader/fields.py (tests/test_review_page.py checks it).
const FIELDS = [
  ["provider", "Seller"], ["provider_vat_id", "Seller VAT id"], ["customer", "Buyer"],
  ["customer_vat_id", "Buyer VAT id"], ["invoice_number", "Invoice number"], ["purchase_order", "Order number"],
  ["date", "Date"], ["due_date", "Due date"], ["currency", "Currency"], ["total_without_vat", "Total without VAT"],
  ["total_vat", "VAT"], ["total_with_vat", "Total with VAT"], ["amount_due", "Amount due"], ["iban", "IBAN"],
  ["bic", "BIC"], ["payment_terms", "Payment terms"], ["vat_breakdown", "VAT breakdown"], ["subtype", "Type"],
];
const READ_ONLY = new Set(["vat_breakdown"]);
const LINE_COLUMNS = ["designation", "quantity", "unit", "unit_price", "total_ht", "vat_rate"];
const SOURCES = {
  text_layer: "text layer", ocr: "OCR", vlm: "model (Florence-2)", einvoice_xml: "e-invoice XML",
  correction: "corrected by a person",
};
const POLL_MS = 1000;

const view = document.getElementById("view");
const message = document.getElementById("message");
let poll = null;
let pageUrls = [];

function apiKey() { return sessionStorage.getItem("apiKey") || ""; }

async function api(path, options = {}) {
  const headers = { ...(options.headers || {}) };
  if (apiKey()) headers["X-API-Key"] = apiKey();
  const response = await fetch("/api/v1" + path, { ...options, headers });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch (e) { /* not JSON */ }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return response;
}

const json = async (path, options) => (await api(path, options)).json();

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (value !== null && value !== undefined && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

function say(text, bad = false) { message.textContent = text; message.className = bad ? "bad" : ""; }

// Nodes, or arrays of nodes, in place of a node's children (null and undefined left out).
function fill(node, ...children) { node.replaceChildren(...children.flat().filter((c) => c !== null && c !== undefined)); }

function show(...nodes) { fill(view, ...nodes); }

function when(iso) { return iso ? new Date(iso).toLocaleString() : ""; }

function shown(value) {
  if (value === null || value === undefined) return "";
  if (Array.isArray(value)) {
    return value.map((r) => `${r.rate ?? "?"} %: ${r.base ?? "?"} + ${r.amount ?? "?"}`).join("; ");
  }
  return String(value);
}

// --- batches -------------------------------------------------------------------------------------

async function batchesView() {
  const status = el("select", { id: "status-filter", "aria-label": "Status" },
    ["", "queued", "running", "completed"].map((s) => el("option", { value: s }, s || "any status")));
  const table = el("table", { id: "batches" });
  const fileInput = el("input", { id: "files", type: "file", multiple: true, accept: ".pdf,.zip,application/pdf,application/zip" });
  const workers = el("input", { id: "max-workers", type: "number", min: 1, max: 64, value: 4, "aria-label": "max_workers" });
  const drop = el("div", { class: "drop", id: "drop" },
    el("p", {}, "Drop PDFs or one ZIP here, or choose them: "), fileInput,
    el("label", {}, " max_workers ", workers),
    el("button", { id: "upload", type: "button", onclick: () => upload(fileInput.files, workers.value) }, "Upload"));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault(); drop.classList.remove("over"); upload(e.dataTransfer.files, workers.value);
  });
  show(el("h1", {}, "Batches"), drop, el("label", {}, "Show ", status), table);

  async function refresh() {
    const query = status.value ? `?status=${status.value}` : "";
    const body = await json(`/batches${query}`);
    fill(table,
      el("tr", {}, ["Created", "Status", "Files", "Done", "Failed", "Running", "Queued"].map((h) => el("th", {}, h))),
      body.data.map((b) => el("tr", { "data-batch": b.batch_id },
        el("td", {}, el("a", { href: `#/batches/${b.batch_id}` }, when(b.created_at))),
        el("td", { class: `state-${b.status}` }, b.status), el("td", {}, b.total_files),
        el("td", { class: "done" }, b.succeeded), el("td", { class: "failed" }, b.failed),
        el("td", {}, b.running), el("td", {}, b.queued))));
    if (!body.data.some((b) => b.status !== "completed")) stopPolling();
  }
  status.addEventListener("change", () => { refresh(); startPolling(refresh); });
  await refresh();
  startPolling(refresh);
}

async function upload(files, maxWorkers) {
  files = Array.from(files || []);
  if (!files.length) { say("Choose PDF files or a ZIP first."); return; }
  const form = new FormData();
  const zip = files.length === 1 && /\.zip$/i.test(files[0].name);
  if (zip) form.append("file", files[0]);
  else files.forEach((f) => form.append("files", f));
  const endpoint = zip ? "batch-upload-zip" : "batch-upload";
  try {
    const body = await json(`/invoices/${endpoint}?wait=false&max_workers=${encodeURIComponent(maxWorkers)}`,
      { method: "POST", body: form });
    say(`Batch created with ${body.total_files} file(s).`);
    location.hash = `#/batches/${body.batch_id}`;
  } catch (e) { say(e.message, true); }
}

async function batchView(id) {
  const table = el("table", { id: "jobs" });
  const summary = el("p", { id: "batch-summary", class: "progress" });
  show(el("h1", {}, "Batch"), summary, table);

  async function refresh() {
    const batch = await json(`/batches/${id}`);
    const results = new Map(batch.results.map((r) => [r.job_id, r]));
    summary.textContent = `${batch.status}: ${batch.successful} done, ${batch.failed} failed, ` +
      `${batch.total_files - batch.successful - batch.failed} to go, of ${batch.total_files}`;
    fill(table,
      el("tr", {}, ["File", "State", "Time (s)", "Result"].map((h) => el("th", {}, h))),
      batch.jobs.map((job) => {
        const r = results.get(job.job_id) || {};
        const link = r.invoice_id ? el("a", { href: `#/invoices/${r.invoice_id}` }, `invoice ${r.invoice_id}`)
          : r.document_id ? el("a", { href: `#/documents/${r.document_id}` }, `document ${r.document_id}`) : null;
        return el("tr", {}, el("td", {}, job.filename), el("td", { class: `state-${job.state}` }, job.state),
          el("td", {}, r.processing_time ?? ""), el("td", {}, link, r.error || ""));
      }));
    if (batch.status === "completed") stopPolling();
  }
  await refresh();
  startPolling(refresh);
}

// --- lists ---------------------------------------------------------------------------------------

async function listView(kind) {
  const invoices = kind === "invoices";
  const search = el("input", { id: "search", type: "search", "aria-label": "Search",
    placeholder: invoices ? "number, seller, buyer, file" : "" });
  const table = el("table", { id: kind });
  show(el("h1", {}, invoices ? "Invoices" : "Other documents"), invoices ? search : null, table);
  async function refresh() {
    const query = invoices && search.value ? `?q=${encodeURIComponent(search.value)}` : "";
    const body = await json(`/${invoices ? "invoices" : "other-documents"}${query}`);
    const head = invoices ? ["Invoice", "Seller", "Date", "Total", "Checks", "Reviewed"] : ["Document", "Kind", "From", "Pages"];
    fill(table, el("tr", {}, head.map((h) => el("th", {}, h))), body.data.map((row) => invoices
      ? el("tr", {}, el("td", {}, el("a", { href: `#/invoices/${row.id}` }, row.invoice_number || `#${row.id}`)),
        el("td", {}, row.provider || ""), el("td", {}, row.date || ""),
        el("td", {}, `${shown(row.total_with_vat)} ${row.currency || ""}`),
        el("td", { class: row.validation?.overall_valid ? "ok" : "bad" }, row.validation?.overall_valid ? "add up" : "check"),
        el("td", {}, row.reviewed_at ? "yes" : ""))
      : el("tr", {}, el("td", {}, el("a", { href: `#/documents/${row.id}` }, row.original_filename || `#${row.id}`)),
        el("td", {}, row.document_kind || ""), el("td", {}, row.provider || ""), el("td", {}, row.page_count))));
  }
  search.addEventListener("input", refresh);
  await refresh();
}

// --- one invoice or document, with its pages ------------------------------------------------------

async function pageImage(kind, id, page) {
  const response = await api(`/${kind}/${id}/pages/${page}?dpi=100`);
  const [width] = (response.headers.get("X-Page-Size") || "0 0").split(" ").map(Number);
  const url = URL.createObjectURL(await response.blob());
  pageUrls.push(url);
  return { url, width };
}

function pagePicker(count, onPick) {
  if (count <= 1) return null;
  const select = el("select", { id: "page-select", "aria-label": "Page" },
    Array.from({ length: count }, (_, i) => el("option", { value: i + 1 }, `Page ${i + 1}`)));
  select.addEventListener("change", () => onPick(Number(select.value)));
  return el("label", {}, "Page ", select);
}

async function documentView(id) {
  const doc = await json(`/other-documents/${id}`);
  const holder = el("div", { class: "page" });
  async function showPage(n) {
    try {
      const { url } = await pageImage("other-documents", id, n);
      holder.replaceChildren(el("img", { src: url, alt: `Page ${n} of ${doc.original_filename}` }));
    } catch (e) { holder.replaceChildren(el("p", {}, e.message)); }
  }
  show(el("h1", {}, doc.original_filename || `Document ${id}`),
    el("p", {}, `${doc.document_kind || "other"}${doc.provider ? ", from " + doc.provider : ""}`),
    pagePicker(doc.page_count, showPage), holder);
  await showPage(1);
}

function validationInWords(validation) {
  if (!validation) return ["Not checked."];
  const words = [];
  const vat = validation.vat || {};
  if (vat.is_valid === true) words.push("Total without VAT + VAT = total with VAT.");
  else if (vat.is_valid === false) words.push(`Total without VAT + VAT differs from the total with VAT by ${vat.difference}.`);
  else words.push("The VAT arithmetic cannot be checked: a total is missing" +
    (vat.derivable ? ` (the others imply ${vat.derivable.field ?? ""} ${vat.derivable.value ?? ""}).` : "."));
  const lines = validation.lines_sum;
  if (lines && lines.is_valid === true) words.push(`The lines add up to the ${String(lines.compared_to).replaceAll("_", " ")}.`);
  else if (lines && lines.is_valid === false) words.push(`The lines do not add up: ${lines.difference} off.`);
  for (const rate of validation.rates || []) {
    if (rate.is_valid === false) words.push(`VAT at ${rate.rate} %: base × rate differs from the amount by ${rate.difference}.`);
  }
  return words;
}

async function invoiceView(id) {
  const invoice = await json(`/invoices/${id}`);
  const corrections = (await json(`/invoices/${id}/corrections`)).data;
  const holder = el("div", { class: "page", id: "page" });
  let current = { page: 1, width: 0 };
  let active = null;

  async function showPage(n) {
    try {
      const { url, width } = await pageImage("invoices", id, n);
      const img = el("img", { src: url, alt: `Page ${n} of ${invoice.original_filename || "the invoice"}` });
      current = { page: n, width };
      holder.replaceChildren(img);
      img.addEventListener("load", drawBoxes);
    } catch (e) { holder.replaceChildren(el("p", {}, e.message)); }
  }

  function drawBoxes() {
    holder.querySelectorAll(".box").forEach((b) => b.remove());
    const img = holder.querySelector("img");
    if (!img || !current.width) return;
    const scale = img.clientWidth / current.width;
    for (const [name, where] of Object.entries(invoice.provenance || {})) {
      if (!where || !where.box || where.page !== current.page - 1) continue;
      const [x0, top, x1, bottom] = where.box;
      holder.append(el("div", {
        class: "box" + (name === active ? " active" : ""), "data-field": name,
        style: `left:${x0 * scale}px;top:${top * scale}px;width:${(x1 - x0) * scale}px;height:${(bottom - top) * scale}px`,
      }));
    }
  }

  function focusField(name) {
    active = name;
    view.querySelectorAll("tr[data-field]").forEach((tr) => tr.classList.toggle("active", tr.dataset.field === name));
    const where = (invoice.provenance || {})[name];
    if (where && where.page !== null && where.page !== undefined && where.page !== current.page - 1) {
      const select = document.getElementById("page-select");
      if (select) select.value = where.page + 1;
      showPage(where.page + 1);
    } else drawBoxes();
  }

  const rows = FIELDS.map(([name, label]) => {
    const where = (invoice.provenance || {})[name];
    const input = el("input", { id: `field-${name}`, name, value: shown(invoice[name]), "aria-label": label,
      readonly: READ_ONLY.has(name) ? "readonly" : null, onfocus: () => focusField(name) });
    return el("tr", { "data-field": name },
      el("th", {}, el("label", { for: `field-${name}` }, label)), el("td", {}, input),
      el("td", { class: "source" }, where ? SOURCES[where.source] || where.source : ""));
  });
  const lineRows = (invoice.lines || []).map((line, i) => el("tr", { "data-line": i },
    LINE_COLUMNS.map((c) => el("td", {}, el("input", { "data-column": c, value: shown(line[c]), "aria-label": `Line ${i + 1} ${c}` })))));
  const reviewed = el("input", { id: "reviewed", type: "checkbox", checked: invoice.reviewed_at ? "checked" : null });
  const who = el("input", { id: "corrected-by", placeholder: "your name", "aria-label": "Your name",
    value: sessionStorage.getItem("reviewer") || "" });

  async function save() {
    const patch = {};
    for (const [name] of FIELDS) {
      if (READ_ONLY.has(name)) continue;
      const value = document.getElementById(`field-${name}`).value.trim();
      if (value !== shown(invoice[name])) patch[name] = value === "" ? null : value;
    }
    const lines = lineRows.map((tr) => Object.fromEntries(Array.from(tr.querySelectorAll("input")).map(
      (input) => [input.dataset.column, input.value.trim() === "" ? null : input.value.trim()])));
    if (JSON.stringify(lines) !== JSON.stringify((invoice.lines || []).map(
      (l) => Object.fromEntries(LINE_COLUMNS.map((c) => [c, l[c] === null ? null : shown(l[c])]))))) patch.lines = lines;
    if (reviewed.checked !== Boolean(invoice.reviewed_at)) patch.reviewed = reviewed.checked;
    if (!Object.keys(patch).length) { say("Nothing changed."); return; }
    if (who.value.trim()) { patch.corrected_by = who.value.trim(); sessionStorage.setItem("reviewer", patch.corrected_by); }
    try {
      await json(`/invoices/${id}`, { method: "PATCH", headers: { "Content-Type": "application/json" },
        body: JSON.stringify(patch) });
      say("Saved.");
      await invoiceView(id);
    } catch (e) { say(e.message, true); }
  }

  show(
    el("h1", {}, `Invoice ${invoice.invoice_number || id}`),
    el("div", { class: "review" },
      el("section", { "aria-label": "Page" }, pagePicker(invoice.page_count, showPage), holder),
      el("section", { "aria-label": "Fields" },
        el("table", { class: "fields" }, rows),
        el("h2", {}, "Checks"), el("ul", { id: "checks" }, validationInWords(invoice.validation).map((w) => el("li", {}, w))),
        el("h2", {}, "Lines"),
        el("table", { id: "lines" }, el("tr", {}, LINE_COLUMNS.map((c) => el("th", {}, c.replace("_", " ")))), lineRows),
        el("p", {}, el("label", {}, reviewed, " Reviewed"), " ", who, " ",
          el("button", { id: "save", type: "button", onclick: save }, "Save corrections")),
        el("h2", {}, "Corrections"),
        el("ul", { id: "corrections" }, corrections.length ? corrections.map((c) => el("li", {},
          `${when(c.corrected_at)}, ${c.corrected_by}: ${c.field} ${shown(c.old_value)} → ${shown(c.new_value)}`)) : el("li", {}, "None."))),
    ),
  );
  window.onresize = drawBoxes;
  await showPage(1);
}

// --- routing ---------------------------------------------------------------------------------------

function startPolling(refresh) {
  stopPolling();
  poll = setInterval(() => refresh().catch((e) => say(e.message, true)), POLL_MS);
}

function stopPolling() { if (poll) clearInterval(poll); poll = null; }

async function route() {
  stopPolling();
  pageUrls.forEach((url) => URL.revokeObjectURL(url));
  pageUrls = [];
  say("");
  const [, kind, id] = (location.hash || "#/batches").split("/");
  try {
    if (kind === "batches" && id) await batchView(id);
    else if (kind === "invoices" && id) await invoiceView(id);
    else if (kind === "documents" && id) await documentView(id);
    else if (kind === "invoices" || kind === "documents") await listView(kind);
    else await batchesView();
  } catch (e) { show(el("p", { class: "bad" }, e.message)); }
  view.focus();
}

document.getElementById("api-key").value = apiKey();
document.getElementById("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  sessionStorage.setItem("apiKey", document.getElementById("api-key").value.trim());
  route();
});
window.addEventListener("hashchange", route);
route();
