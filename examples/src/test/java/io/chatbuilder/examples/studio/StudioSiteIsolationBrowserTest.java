package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.runtime.AppTemplate;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * In Chromium, a script in a published site and one in a draft preview try to use the studio's
 * API: start a chat with a JSON {@code fetch} POST, create an app, a {@code text/plain} no-cors
 * POST, and read {@code GET /admin/apps}; and to read another app's published site (each app's sites
 * have an origin of their own), by {@code fetch} and by a frame. Every attempt fails in the page (the
 * outcome is written into its DOM and read back), and nothing happened on the server: no run, no new
 * checkpoint, no new app.
 */
class StudioSiteIsolationBrowserTest {
  @TempDir Path data;
  @TempDir Path profile;
  private final AtomicReference<String> apiOrigin = new AtomicReference<>();
  private final AtomicReference<String> victimSite = new AtomicReference<>();
  private Studio studio;
  private HttpTestClient client;
  private StudioBrowser browser;

  /** An app whose page attacks the API of the studio it runs in (its origin is read when the app is created). */
  private final AppTemplate attack = new AppTemplate() {
    @Override
    public String id() {
      return "attack";
    }

    @Override
    public String description() {
      return "a page that calls the studio's API";
    }

    @Override
    public SortedMap<String, byte[]> files() {
      String page = """
          <!doctype html><html><head><title>attack</title></head><body><pre id="result">pending</pre>
          <script>
          (async () => {
            const api = 'API_ORIGIN';
            const attempt = async (name, url, init) => {
              try {
                const r = await fetch(url, init);
                return name + ': answered ' + r.status + ' ' + r.type;
              } catch (e) {
                return name + ': failed ' + e.name;
              }
            };
            // Loads a page in a frame and tries to read its document (null or an error across origins).
            const readFrame = (name, url) => new Promise((resolve) => {
              const frame = document.createElement('iframe');
              const done = (line) => { frame.remove(); resolve(line); };
              const timer = setTimeout(() => done(name + ': failed no load'), 3000);
              frame.onload = () => {
                clearTimeout(timer);
                try {
                  const doc = frame.contentDocument;
                  done(doc && doc.body ? name + ': answered read ' + doc.body.textContent.length : name + ': failed no document');
                } catch (e) {
                  done(name + ': failed ' + e.name);
                }
              };
              frame.src = url;
              document.body.appendChild(frame);
            });
            const json = { 'Content-Type': 'application/json' };
            const lines = [
              await attempt('chat', api + '/admin/apps/victim/builder/chat/stream',
                { method: 'POST', headers: json, body: JSON.stringify({ message: 'Build a counter app' }) }),
              await attempt('create', api + '/admin/apps',
                { method: 'POST', headers: json, body: JSON.stringify({ app_id: 'pwned' }) }),
              await attempt('no-cors', api + '/admin/apps', { method: 'POST', mode: 'no-cors',
                headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify({ app_id: 'pwned-plain' }) }),
              await attempt('list', api + '/admin/apps', {}),
              await attempt('other site', 'VICTIM_SITE', {}),
              await attempt('other site no-cors', 'VICTIM_SITE', { mode: 'no-cors' }),
              await readFrame('other site frame', 'VICTIM_SITE'),
              await attempt('own', 'index.html', {}),
            ];
            document.getElementById('result').textContent = lines.join('\\n');
            document.body.dataset.done = 'true';
          })();
          </script></body></html>
          """.replace("API_ORIGIN", apiOrigin.get()).replace("VICTIM_SITE", victimSite.get());
      SortedMap<String, byte[]> files = new TreeMap<>();
      files.put("index.html", page.getBytes(StandardCharsets.UTF_8));
      return files;
    }
  };

  @BeforeEach
  void start() throws Exception {
    studio = Studio.builder(data).port(0).model(new DemoModel(Duration.ZERO)).template(attack).start();
    apiOrigin.set(studio.url().toString().replaceFirst("/$", ""));
    client = new HttpTestClient(studio.url());
    browser = StudioBrowser.start(profile, "site-isolation", Duration.ofSeconds(30));
  }

  @AfterEach
  void stop() {
    if (browser != null) {
      browser.close();
    }
    if (studio != null) {
      studio.close();
    }
  }

  @Test
  void scriptsInAPublishedSiteAndInAPreviewCannotUseTheApi() throws Exception {
    assertThat(client.call("POST", "/admin/apps", "{\"app_id\":\"victim\"}").status()).isEqualTo(201);
    JsonNode victimPublished = client.call("POST", "/admin/apps/victim/builder/publish").json();
    assertThat(victimPublished.get("success").asBoolean()).as(victimPublished.toString()).isTrue();
    victimSite.set(victimPublished.get("site_url").asText() + "index.html");
    assertThat(victimSite.get()).startsWith(studio.siteOrigin("victim").toString());
    // From outside a browser the victim's site answers (what the pages below try is a real page).
    assertThat(client.call("GET", victimSite.get()).status()).isEqualTo(200);
    String victimHead = studio.chatBuilder().head("victim").orElseThrow().id();

    // The draft preview, in the UI's sandboxed frame on its own origin.
    browser.createApp(studio, "attack", "attack");
    browser.waitForPreview("the preview's script to finish", "document.body.dataset.done === 'true'");
    String previewOutcome = inPreview("return document.getElementById('result').textContent");
    String previewOrigin = inPreview("return location.origin");
    assertThat(previewOrigin).isNotEqualTo(apiOrigin.get());
    String sandbox = browser.script("return document.getElementById('preview').getAttribute('sandbox')").asText();
    assertThat(sandbox).contains("allow-scripts").contains("allow-forms");

    // The published site, opened as a page of its own.
    JsonNode published = client.call("POST", "/admin/apps/attack/builder/publish").json();
    assertThat(published.get("success").asBoolean()).as(published.toString()).isTrue();
    String site = published.get("site_url").asText();
    assertThat(site).startsWith(studio.siteOrigin("attack").toString());
    assertThat(studio.siteOrigin("attack")).isNotEqualTo(studio.siteOrigin("victim"));
    browser.driver.navigate(site);
    browser.waitFor("the site's script to finish", "return document.body.dataset.done === 'true'");
    String siteOutcome = browser.text("#result");
    browser.shot("site-outcome");

    for (String outcome : List.of(previewOutcome, siteOutcome)) {
      String[] lines = outcome.split("\n");
      assertThat(lines).as(outcome).hasSize(8);
      assertThat(List.of(lines).subList(0, 7)).as(outcome).allSatisfy(line -> assertThat(line).contains(": failed "));
      // The control: the page's fetch works for its own origin.
      assertThat(lines[7]).as(outcome).isEqualTo("own: answered 200 basic");
    }
    // The URL the pages tried is the API's: from here (no browser origin) it answers.
    assertThat(new HttpTestClient(java.net.URI.create(apiOrigin.get() + "/")).call("GET", "/admin/apps").status()).isEqualTo(200);
    // Nothing happened on the server.
    assertThat(studio.chatBuilder().runIds("victim", 10)).isEmpty();
    assertThat(studio.chatBuilder().runIds("attack", 10)).isEmpty();
    assertThat(studio.chatBuilder().activeRun("victim")).isEmpty();
    assertThat(studio.chatBuilder().head("victim").orElseThrow().id()).isEqualTo(victimHead);
    assertThat(studio.chatBuilder().checkpoints("victim", 10)).hasSize(1);
    assertThat(client.call("GET", "/admin/apps/victim/builder/publishes").json().get("publishes")).hasSize(1);
    assertThat(studio.chatBuilder().checkpointStore().apps()).containsExactlyInAnyOrder("victim", "attack");
  }

  private String inPreview(String js) {
    browser.driver.switchToFrame("#preview");
    try {
      return browser.script(js).asText();
    } finally {
      browser.driver.switchToTop();
    }
  }
}
