// explorer.js: a small GraphQL explorer served at /graphql to browsers,
// embedded so it works offline. Requests go through api.js.
import { api, portalSession, request, setKey, storedKey } from "./api.js";

const $ = (id) => document.getElementById(id);

function typeName(t) {
  if (!t) return "";
  if (t.kind === "NON_NULL") return typeName(t.ofType) + "!";
  if (t.kind === "LIST") return "[" + typeName(t.ofType) + "]";
  return t.name;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

async function loadDocs() {
  const docs = $("docs");
  try {
    const schema = await api.introspect();
    docs.replaceChildren();
    const roots = [schema.queryType, schema.mutationType, schema.subscriptionType].filter(Boolean).map((t) => t.name);
    const types = schema.types.filter((t) => !t.name.startsWith("__"))
      .sort((a, b) => (roots.includes(b.name) - roots.includes(a.name)) || a.name.localeCompare(b.name));
    for (const t of types) {
      const d = el("details");
      d.append(el("summary", t.name + " (" + t.kind.toLowerCase().replace("_", " ") + ")"));
      if (t.description) d.append(el("p", t.description, "muted"));
      const list = el("ul");
      for (const f of t.fields || t.inputFields || []) {
        const args = (f.args || []).map((a) => a.name + ": " + typeName(a.type)).join(", ");
        const li = el("li");
        li.append(el("code", f.name + (args ? "(" + args + ")" : "") + ": " + typeName(f.type)));
        if (f.description) li.append(el("div", f.description, "muted"));
        list.append(li);
      }
      for (const v of t.enumValues || []) list.append(el("li", v.name));
      d.append(list);
      docs.append(d);
    }
  } catch (err) {
    docs.replaceChildren(el("p", "The schema could not be loaded: " + err.message + " Sign in with an API key above.", "error"));
  }
}

async function run() {
  const out = $("result");
  let vars;
  try {
    vars = JSON.parse($("variables").value || "{}");
  } catch (err) {
    out.textContent = "The variables are not JSON: " + err.message;
    return;
  }
  out.textContent = "Running…";
  try {
    out.textContent = JSON.stringify(await request($("query").value, vars), null, 2);
  } catch (err) {
    out.textContent = "Error" + (err.code ? " (" + err.code + ")" : "") + ": " + err.message;
  }
}

$("run").addEventListener("click", run);
document.addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    run();
  }
});
$("key-form").addEventListener("submit", (e) => {
  e.preventDefault();
  setKey($("key").value.trim());
  $("key").value = "";
  $("key").placeholder = storedKey() ? "key in use for this tab" : "dk_…";
  loadDocs();
});

(async () => {
  if (storedKey()) $("key").placeholder = "key in use for this tab";
  else await portalSession().catch(() => null);
  loadDocs();
})();
