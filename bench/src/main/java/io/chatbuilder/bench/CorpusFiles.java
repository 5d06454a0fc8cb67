package io.chatbuilder.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The files the edit corpus changes: the Vite templates ChatBuilder ships (read from
 * {@code runtime-vite} in this repository) and generated files of the kinds a chat-built app has
 * (TSX components, TS modules, CSS, HTML, JSON), with the features that make edits hard: repeated
 * blocks, typographic punctuation in copy text, 4-space and tab indentation, a long module.
 * Deterministic: the same seed gives the same files.
 */
final class CorpusFiles {
  static final String TEMPLATES = "runtime-vite/src/main/resources/io/chatbuilder/runtime/vite/templates";

  /** A file of the corpus: its app path, its text ({@code \n} line ends), and its kind (tsx, ts, css, html, json, js). */
  record Source(String path, String text, String kind) {}

  private static final String[] COMPONENTS = {"ProductGrid", "CartSummary", "UserMenu", "SearchPanel", "PricingTable",
      "TodoBoard", "Newsletter", "Testimonials", "OrderHistory", "SettingsPanel", "TeamDirectory", "EventCalendar"};
  private static final String[] ITEMS = {"Product", "CartLine", "MenuEntry", "Result", "Plan", "Task", "Subscriber",
      "Quote", "Order", "Setting", "Member", "Event"};
  private static final String[] COPY = {
      "Don\u2019t miss today\u2019s deals \u2014 up to 40% off\u2026",
      "\u201CBest purchase I\u2019ve made,\u201D says Ana.",
      "Free shipping on orders over 50\u00A0\u20AC \u2013 no code needed.",
      "Nothing here yet \u2014 try another search\u2026",
      "We\u2019ll never share your e\u2011mail. Promise.",
      "Loading your dashboard\u2026",
      "It\u2019s quick: three steps and you\u2019re done.",
      "Plans start at 9\u00A0\u20AC a month \u2014 cancel anytime."};
  private static final String[] PLAIN = {"Browse the latest arrivals", "Your items are saved for later",
      "Sign in to see your orders", "Choose the plan that fits your team", "Tasks sync across your devices",
      "Get the weekly digest", "Read what our customers say", "Manage your account settings"};
  private static final String[] CTA = {"Add to cart", "Check out", "Save changes", "Subscribe", "Get started",
      "View details", "Load more", "Contact us"};

  private CorpusFiles() {}

  /** The repository root: the working directory or one of its parents that holds {@link #TEMPLATES}. */
  static Path repositoryRoot() {
    Path dir = Path.of("").toAbsolutePath();
    for (Path p = dir; p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve(TEMPLATES))) {
        return p;
      }
    }
    throw new IllegalStateException("the edit corpus reads the Vite templates from " + TEMPLATES
        + ": run from the repository (or a module directory of it); not found from " + dir);
  }

  static List<Source> templates() {
    Path root = repositoryRoot().resolve(TEMPLATES);
    List<Source> out = new ArrayList<>();
    for (String template : List.of("vite-react", "vite-vanilla")) {
      for (String file : List.of("index.html", "package.json", "vite.config.js", "src/App.jsx", "src/index.css",
          "src/main.jsx", "src/main.js", "src/style.css", "package-lock.json")) {
        Path p = root.resolve(template).resolve(file);
        if (Files.isRegularFile(p)) {
          String kind = file.substring(file.lastIndexOf('.') + 1);
          out.add(new Source(template + "/" + file, read(p), kind.equals("jsx") ? "tsx" : kind));
        }
      }
    }
    return out;
  }

  private static String read(Path p) {
    try {
      return Files.readString(p, StandardCharsets.UTF_8).replace("\r\n", "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static List<Source> generated(long seed) {
    Random random = new Random(seed);
    List<Source> out = new ArrayList<>();
    for (int i = 0; i < COMPONENTS.length; i++) {
      out.add(new Source("src/components/" + COMPONENTS[i] + ".tsx", component(random, i), "tsx"));
    }
    String[] modules = {"api", "format", "cart", "auth", "storage", "validation"};
    for (int i = 0; i < modules.length; i++) {
      out.add(new Source("src/lib/" + modules[i] + ".ts", module(random, modules[i], 4 + random.nextInt(4)), "ts"));
    }
    String[] sheets = {"App", "ProductGrid", "CartSummary", "PricingTable", "theme", "layout"};
    for (String s : sheets) {
      out.add(new Source("src/styles/" + s + ".css", css(random, kebab(s)), "css"));
    }
    String[] pages = {"index", "about", "pricing", "contact"};
    for (String p : pages) {
      out.add(new Source((p.equals("index") ? "" : "pages/") + p + ".html", html(random, p), "html"));
    }
    out.add(new Source("package.json", packageJson(random), "json"));
    out.add(new Source("tsconfig.json", tsconfig(), "json"));
    out.add(new Source("src/data/products.json", products(random), "json"));
    out.add(new Source("src/i18n/en.json", strings(), "json"));
    out.add(new Source("src/lib/reports.ts", module(random, "reports", 60), "ts"));
    return out;
  }

  /** The same text with each two-space indentation level written as {@code unit} (four spaces or a tab). */
  static String reindent(String text, String unit) {
    StringBuilder out = new StringBuilder();
    for (String line : text.split("\n", -1)) {
      int spaces = 0;
      while (spaces < line.length() && line.charAt(spaces) == ' ') {
        spaces++;
      }
      out.append(unit.repeat(spaces / 2)).append(" ".repeat(spaces % 2)).append(line.substring(spaces)).append('\n');
    }
    return out.substring(0, out.length() - 1);
  }

  static String kebab(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }

  private static <T> T pick(Random r, T[] values) {
    return values[r.nextInt(values.length)];
  }

  private static String component(Random r, int i) {
    String name = COMPONENTS[i];
    String item = ITEMS[i];
    String css = kebab(name);
    StringBuilder s = new StringBuilder();
    s.append("import { useEffect, useMemo, useState } from 'react'\n");
    s.append("import './").append(name).append(".css'\n");
    s.append("import { formatPrice } from '../lib/format'\n\n");
    s.append("export type ").append(item).append(" = {\n  id: string\n  name: string\n  price: number\n");
    if (r.nextBoolean()) {
      s.append("  tags: string[]\n");
    }
    s.append("}\n\n");
    s.append("type ").append(name).append("Props = {\n  title: string\n  items: ").append(item).append("[]\n")
        .append("  onSelect?: (id: string) => void\n}\n\n");
    s.append("export default function ").append(name).append("({ title, items, onSelect }: ").append(name)
        .append("Props) {\n");
    s.append("  const [query, setQuery] = useState('')\n");
    s.append("  const [selected, setSelected] = useState<string | null>(null)\n");
    if (r.nextBoolean()) {
      s.append("  const [page, setPage] = useState(1)\n");
    }
    s.append("\n  useEffect(() => {\n    document.title = `${title} \u2013 Shop`\n  }, [title])\n\n");
    s.append("  const visible = useMemo(\n    () => items.filter((item) => item.name.toLowerCase().includes(query.toLowerCase())),\n"
        + "    [items, query],\n  )\n\n");
    s.append("  function handleSelect(id: string) {\n    setSelected(id)\n    onSelect?.(id)\n  }\n\n");
    if (r.nextBoolean()) {
      s.append("  function handleClear() {\n    setQuery('')\n    setSelected(null)\n  }\n\n");
    }
    s.append("  return (\n    <section className=\"").append(css).append("\">\n");
    s.append("      <header className=\"").append(css).append("__header\">\n        <h2>{title}</h2>\n");
    s.append("        <p className=\"").append(css).append("__lead\">").append(pick(r, r.nextBoolean() ? COPY : PLAIN))
        .append("</p>\n      </header>\n");
    s.append("      <input\n        className=\"").append(css).append("__search\"\n        value={query}\n"
        + "        onChange={(e) => setQuery(e.target.value)}\n        placeholder=\"Search\u2026\"\n      />\n");
    int stats = 1 + r.nextInt(3);
    if (stats > 1) {
      s.append("      <div className=\"stats\">\n");
      String[] labels = {"Total", "Selected", "Visible", "Pages"};
      for (int k = 0; k < stats; k++) {
        s.append("        <div className=\"stat\">\n          <span className=\"stat__label\">").append(labels[k])
            .append("</span>\n          <span className=\"stat__value\">{items.length}</span>\n        </div>\n");
      }
      s.append("      </div>\n");
    }
    s.append("      <ul className=\"").append(css).append("__list\">\n        {visible.map((item) => (\n");
    s.append("          <li key={item.id} className={item.id === selected ? 'is-selected' : ''}>\n");
    s.append("            <button type=\"button\" onClick={() => handleSelect(item.id)}>\n              {item.name}\n"
        + "            </button>\n            <span className=\"price\">{formatPrice(item.price)}</span>\n          </li>\n");
    s.append("        ))}\n      </ul>\n");
    s.append("      {visible.length === 0 && <p className=\"empty\">").append(pick(r, COPY)).append("</p>}\n");
    s.append("      <footer className=\"").append(css).append("__footer\">\n");
    s.append("        <button type=\"button\" className=\"btn btn-primary\">\n          ").append(pick(r, CTA))
        .append("\n        </button>\n");
    s.append("        <button type=\"button\" className=\"btn btn-secondary\">\n          ").append(pick(r, CTA))
        .append("\n        </button>\n");
    s.append("      </footer>\n    </section>\n  )\n}\n");
    return s.toString();
  }

  private static String module(Random r, String name, int functions) {
    StringBuilder s = new StringBuilder();
    s.append("// ").append(name).append(": helpers used across the app.\n\n");
    s.append("const BASE_URL = import.meta.env.VITE_API_URL ?? '/api'\n");
    s.append("const TIMEOUT_MS = ").append(5000 + 1000 * r.nextInt(10)).append("\n\n");
    s.append("export class HttpError extends Error {\n  constructor(\n    readonly status: number,\n    message: string,\n"
        + "  ) {\n    super(message)\n  }\n}\n\n");
    String[] verbs = {"load", "save", "remove", "list", "find", "update", "count", "sync"};
    String[] nouns = {"Products", "Orders", "Users", "Settings", "Cart", "Invoices", "Reviews", "Coupons", "Teams",
        "Events"};
    for (int f = 0; f < functions; f++) {
      String fn = verbs[f % verbs.length] + nouns[(f / verbs.length + f) % nouns.length] + (f >= 40 ? "V" + f : "");
      String path = "/" + kebab(nouns[(f / verbs.length + f) % nouns.length]);
      s.append("/**\n * ").append(Character.toUpperCase(fn.charAt(0))).append(fn.substring(1).replaceAll("([A-Z])", " $1")
          .toLowerCase(Locale.ROOT)).append(".\n * @param id the record to work on\n */\n");
      s.append("export async function ").append(fn).append("(id: string, signal?: AbortSignal) {\n");
      s.append("  const controller = new AbortController()\n");
      s.append("  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS)\n");
      s.append("  try {\n");
      s.append("    const res = await fetch(`${BASE_URL}").append(path).append("/${id}`, {\n");
      s.append("      method: '").append(f % 3 == 0 ? "GET" : f % 3 == 1 ? "POST" : "PUT").append("',\n");
      s.append("      headers: { 'Content-Type': 'application/json' },\n");
      s.append("      signal: signal ?? controller.signal,\n    })\n");
      s.append("    if (!res.ok) {\n      throw new HttpError(res.status, `request failed: ${res.status}`)\n    }\n");
      s.append("    return await res.json()\n  } finally {\n    clearTimeout(timer)\n  }\n}\n\n");
    }
    s.append("export const ").append(name.toUpperCase(Locale.ROOT)).append("_VERSION = '1.").append(r.nextInt(9)).append(".0'\n");
    return s.toString();
  }

  private static String css(Random r, String block) {
    String[] colors = {"#2563eb", "#16a34a", "#dc2626", "#9333ea", "#0891b2", "#ea580c"};
    StringBuilder s = new StringBuilder();
    s.append(":root {\n  --brand: ").append(pick(r, colors)).append(";\n  --text: #1f2937;\n  --muted: #6b7280;\n"
        + "  --radius: ").append(4 + 2 * r.nextInt(4)).append("px;\n}\n\n");
    String[] parts = {"", "__header", "__lead", "__search", "__list", "__footer", " .btn", " .btn-primary",
        " .btn-secondary", " .stat", " .price", " .empty"};
    for (String part : parts) {
      s.append('.').append(block).append(part).append(" {\n");
      int kind = r.nextInt(4);
      if (kind == 0 || part.isEmpty()) {
        s.append("  display: flex;\n  align-items: center;\n  gap: ").append(4 * (1 + r.nextInt(4))).append("px;\n");
      }
      if (kind == 1) {
        s.append("  padding: 8px 12px;\n  border-radius: var(--radius);\n");
      }
      if (kind == 2) {
        s.append("  color: var(--muted);\n  font-size: 0.875rem;\n");
      }
      s.append("  margin: 0;\n}\n\n");
    }
    s.append("@media (max-width: 640px) {\n  .").append(block).append(" {\n    flex-direction: column;\n  }\n\n  .")
        .append(block).append("__footer {\n    display: none;\n  }\n}\n");
    return s.toString();
  }

  private static String html(Random r, String page) {
    StringBuilder s = new StringBuilder();
    s.append("<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n"
        + "    <meta name=\"viewport\" content=\"width=device-width, initial-scale=1.0\" />\n    <title>")
        .append(Character.toUpperCase(page.charAt(0))).append(page.substring(1)).append(" \u2014 Acme</title>\n"
            + "    <link rel=\"stylesheet\" href=\"/src/styles/App.css\" />\n  </head>\n  <body>\n");
    s.append("    <header class=\"site-header\">\n      <nav>\n        <ul>\n");
    for (String link : List.of("Home", "Shop", "Pricing", "About", "Contact")) {
      s.append("          <li><a href=\"/").append(link.toLowerCase(Locale.ROOT)).append("\">").append(link)
          .append("</a></li>\n");
    }
    s.append("        </ul>\n      </nav>\n    </header>\n    <main>\n");
    s.append("      <h1>").append(pick(r, PLAIN)).append("</h1>\n      <p class=\"lead\">").append(pick(r, COPY))
        .append("</p>\n");
    int cards = 3 + r.nextInt(3);
    s.append("      <section class=\"cards\">\n");
    for (int c = 0; c < cards; c++) {
      s.append("        <article class=\"card\">\n          <h2>").append(pick(r, CTA)).append("</h2>\n          <p>")
          .append(pick(r, r.nextBoolean() ? COPY : PLAIN)).append("</p>\n          <a class=\"button\" href=\"#\">Learn more</a>\n"
              + "        </article>\n");
    }
    s.append("      </section>\n    </main>\n    <footer>\n      <p>\u00A9\u00A02025 Acme \u2014 all rights reserved.</p>\n"
        + "    </footer>\n    <script type=\"module\" src=\"/src/main.tsx\"></script>\n  </body>\n</html>\n");
    return s.toString();
  }

  private static String packageJson(Random r) {
    return "{\n  \"name\": \"acme-shop\",\n  \"private\": true,\n  \"version\": \"0." + r.nextInt(9) + ".0\",\n"
        + "  \"type\": \"module\",\n  \"scripts\": {\n    \"dev\": \"vite\",\n    \"build\": \"tsc -b && vite build\",\n"
        + "    \"preview\": \"vite preview\",\n    \"test\": \"vitest run\"\n  },\n  \"dependencies\": {\n"
        + "    \"react\": \"^19.1.0\",\n    \"react-dom\": \"^19.1.0\",\n    \"react-router-dom\": \"^7.6.0\"\n  },\n"
        + "  \"devDependencies\": {\n    \"@types/react\": \"^19.1.2\",\n    \"@types/react-dom\": \"^19.1.2\",\n"
        + "    \"@vitejs/plugin-react\": \"^4.4.1\",\n    \"typescript\": \"~5.8.3\",\n    \"vite\": \"^6.3.5\",\n"
        + "    \"vitest\": \"^3.1.4\"\n  }\n}\n";
  }

  private static String tsconfig() {
    return "{\n  \"compilerOptions\": {\n    \"target\": \"ES2022\",\n    \"lib\": [\"ES2022\", \"DOM\", \"DOM.Iterable\"],\n"
        + "    \"module\": \"ESNext\",\n    \"moduleResolution\": \"bundler\",\n    \"jsx\": \"react-jsx\",\n"
        + "    \"strict\": true,\n    \"noUnusedLocals\": true,\n    \"noUnusedParameters\": true,\n"
        + "    \"skipLibCheck\": true\n  },\n  \"include\": [\"src\"]\n}\n";
  }

  private static String products(Random r) {
    StringBuilder s = new StringBuilder("[\n");
    String[] names = {"Desk lamp", "Notebook", "Water bottle", "Backpack", "Headphones", "Mug", "Plant pot", "Keyboard"};
    for (int i = 0; i < names.length; i++) {
      s.append("  {\n    \"id\": \"p").append(100 + i).append("\",\n    \"name\": \"").append(names[i]).append("\",\n")
          .append("    \"price\": ").append(5 + r.nextInt(95)).append(",\n    \"inStock\": ").append(r.nextInt(4) != 0)
          .append(",\n    \"tags\": [\"new\", \"popular\"]\n  }").append(i + 1 < names.length ? "," : "").append('\n');
    }
    return s.append("]\n").toString();
  }

  private static String strings() {
    StringBuilder s = new StringBuilder("{\n");
    String[] keys = {"deals", "quote", "shipping", "empty", "privacy", "loading", "steps", "plans"};
    for (int i = 0; i < keys.length; i++) {
      s.append("  \"").append(keys[i]).append("\": \"").append(COPY[i].replace("\"", "\\\"")).append('"')
          .append(i + 1 < keys.length ? "," : "").append('\n');
    }
    return s.append("}\n").toString();
  }
}
