package io.chatbuilder.examples.studio;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.model.ChatInput;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.runtime.vite.VitePublisher;
import io.chatbuilder.runtime.vite.ViteDraftRuntime;
import io.chatbuilder.runtime.vite.ViteTemplates;
import io.chatbuilder.sandbox.local.Isolation;
import io.chatbuilder.sandbox.local.LocalSandbox;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.springframework.boot.Banner;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The builder studio: a Spring Boot application on the ChatBuilder starter, whose controllers are
 * its HTTP API (DESIGN §3.4), on embedded defaults (an H2 file database, local sandboxes in
 * directories), with the agent panel UI served by the same process and published sites on an
 * origin of their own.
 *
 * <pre>{@code
 * try (Studio studio = Studio.builder(Path.of(".chatbuilder-studio")).port(8080).start()) {
 *   System.out.println("open " + studio.url());
 *   Thread.currentThread().join();
 * }
 * }</pre>
 *
 * <pre>
 *  browser ──HTTP/SSE──▶ Spring Boot (Tomcat) ──▶ ChatBuilder ──▶ model (env, Ollama or offline demo)
 *                         │ starter: /admin API        ├──────▶ LocalSandbox  (&lt;data&gt;/apps/&lt;app&gt;)
 *                         │ StudioController: /admin/studio, JdbcStores    (&lt;data&gt;/db, H2 DataSource)
 *                         │   UI                       └──────▶ DraftRuntime / Publisher (static or Vite;
 *  site port ◀── PublishedSites (&lt;label&gt;.localhost, CSP)        a preview server per app, own origin)
 * </pre>
 *
 * <p>The studio listens on 127.0.0.1 unless told otherwise; the starter's guard checks Host,
 * Origin and content type, and beyond loopback requires its access token.
 */
public final class Studio implements AutoCloseable {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(Studio.class);
  /** The studio is one person's tool on its own loopback port, not a Spring Security host. */
  private static final String SECURITY_EXCLUDED = String.join(",",
      "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
      "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
      "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
      "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
      "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration");

  private final ConfigurableApplicationContext context;
  private final ChatBuilder chatBuilder;
  private final List<AutoCloseable> parts;
  private final PublishedSites sites;
  private final String host;
  private final int port;
  private final String modelName;
  private final boolean demo;
  private final boolean isolated;
  private final Path dataDir;

  private Studio(Builder b) throws IOException {
    this.dataDir = Files.createDirectories(b.dataDir).toAbsolutePath().normalize();
    this.demo = b.model == null || b.model instanceof DemoModel;
    ModelClient model = b.model != null ? b.model : new DemoModel();
    this.modelName = model.name();
    this.isolated = !b.unisolated;
    this.host = b.host;
    if (b.unisolated) {
      LOG.warn("STUDIO RUNS APP CODE UNISOLATED (--unisolated): npm, dev servers, builds and the agent's commands "
          + "run as plain processes of this machine, with its files, environment and network");
    }
    List<AutoCloseable> opened = new ArrayList<>();
    try {
      boolean unisolated = b.unisolated;
      LocalSandboxProvider sandboxes = LocalSandboxProvider.create(dataDir.resolve("apps"),
          sb -> configureSandbox(sb.policy(CommandPolicy.defaults()), unisolated));
      opened.add(sandboxes);
      Clock clock = Clock.systemUTC();
      DraftRuntime devServer = b.draftRuntime;
      Publisher build = b.publisher;
      List<AppTemplate> templates = new ArrayList<>();
      templates.add(new StarterTemplate());
      templates.addAll(b.templates);
      if (b.vite) {
        // Every npm, Vite and build process runs in the app's sandbox (or a build sandbox like it).
        devServer = ViteDraftRuntime.builder(sandboxes).installStateDirectory(dataDir.resolve("vite-installs")).build();
        opened.add(devServer);
        build = VitePublisher.builder(dataDir.resolve("published-vite"),
            (appId, dir) -> configureSandbox(LocalSandbox.builder(dir).id(appId + "-publish"), unisolated).build())
            .build();
        templates.addAll(ViteTemplates.builtIn());
      }
      StaticPublisher copy = new StaticPublisher(dataDir.resolve("published"), clock);
      Publisher publisher = build != null ? PackageJsonSwitch.publishers(build, copy) : copy;
      StaticDraftRuntime staticDrafts = new StaticDraftRuntime(sandboxes::open, b.host, clock);
      opened.add(staticDrafts);
      DraftRuntime drafts = devServer == null ? staticDrafts : PackageJsonSwitch.drafts(devServer, staticDrafts,
          appId -> sandboxes.open(appId).tryRead(PackageJsonSwitch.PACKAGE_JSON).isPresent());
      // Published sites get an origin of their own: their scripts must not reach the API.
      this.sites = new PublishedSites(publisher, b.host, b.sitePort, b.siteDomain);
      opened.add(sites);
      StudioController.Info info = new StudioController.Info(modelName, demo, devServer == null ? "static" : "dev-server",
          isolated);

      Map<String, Object> properties = new LinkedHashMap<>();
      properties.put("server.address", b.host);
      properties.put("server.port", b.port);
      // Event streams stay open; a graceful shutdown would wait for them.
      properties.put("server.shutdown", "immediate");
      properties.put("spring.datasource.url", "jdbc:h2:file:" + dataDir.resolve("db").resolve("studio") + ";WRITE_DELAY=0");
      properties.put("spring.datasource.username", "sa");
      properties.put("spring.datasource.password", "");
      properties.put("spring.web.resources.add-mappings", false);
      properties.put("spring.autoconfigure.exclude", SECURITY_EXCLUDED);
      properties.put("spring.jmx.enabled", false);
      properties.put("chatbuilder.http.heartbeat", b.heartbeat.toMillis() + "ms");
      properties.put("chatbuilder.http.max-request-bytes", b.maxRequestBytes);
      properties.put("chatbuilder.http.max-chat-request-bytes", maxChatRequestBytes(b.maxRequestBytes));
      properties.put("chatbuilder.http.default-template", StarterTemplate.ID);
      b.accessToken.ifPresent(t -> properties.put("chatbuilder.http.access-token", t));
      SpringApplication app = new SpringApplication(StudioApplication.class);
      app.setWebApplicationType(WebApplicationType.SERVLET);
      app.setBannerMode(Banner.Mode.OFF);
      app.setLogStartupInfo(false);
      app.setRegisterShutdownHook(false); // close() (StudioMain's hook) stops it, in order
      app.setDefaultProperties(properties);
      app.addInitializers(ctx -> {
        var beans = ctx.getBeanFactory();
        beans.registerSingleton("studioModel", model);
        beans.registerSingleton("studioSandboxes", sandboxes);
        beans.registerSingleton("studioDraftRuntime", drafts);
        beans.registerSingleton("studioPublisher", publisher);
        beans.registerSingleton("studioSiteUrls", sites);
        beans.registerSingleton("studioInfo", info);
        for (int i = 0; i < templates.size(); i++) {
          beans.registerSingleton("studioTemplate" + i, templates.get(i));
        }
      });
      this.context = app.run();
      this.chatBuilder = context.getBean(ChatBuilder.class);
      this.port = Integer.parseInt(context.getEnvironment().getProperty("local.server.port", String.valueOf(b.port)));
    } catch (RuntimeException e) {
      java.util.Collections.reverse(opened);
      closeAll(opened);
      throw e;
    }
    java.util.Collections.reverse(opened);
    this.parts = List.copyOf(opened);
  }

  /** The chat body's cap: other bodies' plus the base64 of the most image bytes a message may carry. */
  private static long maxChatRequestBytes(int maxRequestBytes) {
    long images = 4L * ((ChatInput.MAX_IMAGE_BYTES_TOTAL + 2) / 3);
    return Math.min(Integer.MAX_VALUE, maxRequestBytes + images);
  }

  /** A studio keeping its database, sandboxes and published sites under {@code dataDir}. */
  public static Builder builder(Path dataDir) {
    return new Builder(dataDir);
  }

  /** Where the UI is, e.g. {@code http://127.0.0.1:8080/}. */
  public URI url() {
    String h = host.equals("0.0.0.0") || host.equals("::") ? "localhost" : host.contains(":") ? "[" + host + "]" : host;
    return URI.create("http://" + h + ":" + port + "/");
  }

  public int port() {
    return port;
  }

  /**
   * The origin an app's published sites are served from, e.g. {@code http://3f2a9c01de-shop.localhost:41234}:
   * not the API's, and not any other app's (see {@link #siteLabel(String)}).
   */
  public URI siteOrigin(String appId) {
    return URI.create(sites.origin(Objects.requireNonNull(appId, "appId == null")));
  }

  /**
   * The DNS label of an app's site origin: the first 10 hex digits of the SHA-256 of the app id, a
   * dash and the id's slug (lower case, other characters than {@code a-z0-9} made dashes, at most 40).
   */
  public static String siteLabel(String appId) {
    return PublishedSites.label(Objects.requireNonNull(appId, "appId == null"));
  }

  /** The port published sites are served on (every app's site origin has it). */
  public int sitePort() {
    return sites.port();
  }

  /** The facade behind the API, for hosts that add their own routes or tests that inspect state. */
  public ChatBuilder chatBuilder() {
    return chatBuilder;
  }

  /** The model's name, e.g. {@code offline-demo} or {@code openai:gpt-4.1-mini}. */
  public String modelName() {
    return modelName;
  }

  /** Whether the offline demo model answers (no real model configured). */
  public boolean demo() {
    return demo;
  }

  /** Whether app code runs isolated; false only after {@link Builder#unisolated()}. */
  public boolean isolated() {
    return isolated;
  }

  public Path dataDir() {
    return dataDir;
  }

  /**
   * Stops the server and the Spring context: runs are cancelled and write their terminal events,
   * then the database closes; then the preview and site servers and the sandboxes.
   */
  @Override
  public void close() {
    try {
      context.close();
    } finally {
      closeAll(parts);
    }
  }

  /**
   * The sandbox settings of every app and build: bubblewrap (sandbox-local's default: without it no
   * command or service runs), unless the host opted into running unisolated.
   */
  private static LocalSandbox.Builder configureSandbox(LocalSandbox.Builder sb, boolean unisolated) {
    return unisolated ? sb.unisolated() : sb.isolation(Isolation.BUBBLEWRAP);
  }

  /** Closes each part in order, going on past failures. */
  private static void closeAll(List<AutoCloseable> parts) {
    for (AutoCloseable part : parts) {
      try {
        part.close();
      } catch (Exception ignored) {
        // closing anyway
      }
    }
  }

  /** Configures a {@link Studio}. */
  public static final class Builder {
    private final Path dataDir;
    private String host = "127.0.0.1";
    private int port = 8080;
    private int sitePort;
    private String siteDomain = "localhost";
    private java.util.Optional<String> accessToken = java.util.Optional.empty();
    private ModelClient model;
    private DraftRuntime draftRuntime;
    private Publisher publisher;
    private boolean vite;
    private boolean unisolated;
    private final List<AppTemplate> templates = new ArrayList<>();
    private Duration heartbeat = Duration.ofSeconds(15);
    private int maxRequestBytes = 1 << 20;

    private Builder(Path dataDir) {
      this.dataDir = Objects.requireNonNull(dataDir, "dataDir == null");
    }

    /**
     * The address to listen on (default 127.0.0.1). Beyond loopback every API request needs the
     * access token the starter logs at start.
     */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host == null");
      return this;
    }

    /** The port (default 8080; 0 picks a free one). */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be 0-65535");
      }
      this.port = port;
      return this;
    }

    /**
     * The token every API request needs when the studio listens beyond loopback (default: a random
     * one, logged at start). The UI sends it when opened with {@code ?token=<token>}.
     */
    public Builder accessToken(String accessToken) {
      if (Objects.requireNonNull(accessToken, "accessToken == null").length() < 16) {
        throw new IllegalArgumentException("accessToken must have at least 16 characters");
      }
      this.accessToken = java.util.Optional.of(accessToken);
      return this;
    }

    /** The port published sites are served on (default 0: a free one); never the API's. */
    public Builder sitePort(int sitePort) {
      if (sitePort < 0 || sitePort > 65535) {
        throw new IllegalArgumentException("sitePort must be 0-65535");
      }
      this.sitePort = sitePort;
      return this;
    }

    /**
     * The name under which each app's published sites get an origin of their own,
     * {@code http://<label>.<siteDomain>:<sitePort>/} (default {@code localhost}: browsers resolve
     * every {@code *.localhost} name to loopback). Beyond one machine, a wildcard DNS name that
     * points at this host.
     */
    public Builder siteDomain(String siteDomain) {
      String d = Objects.requireNonNull(siteDomain, "siteDomain == null").toLowerCase(java.util.Locale.ROOT);
      if (!d.matches("[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")) {
        throw new IllegalArgumentException("siteDomain must be a DNS name such as localhost or sites.example.com, not '"
            + siteDomain + "'");
      }
      this.siteDomain = d;
      return this;
    }

    /** The model; the offline demo model when not set. */
    public Builder model(ModelClient model) {
      this.model = Objects.requireNonNull(model, "model == null");
      return this;
    }

    /**
     * Draft mode with a real dev server (e.g. Vite) for apps with a {@code package.json}; plain
     * static apps, and every app when not set, get the static preview.
     */
    public Builder draftRuntime(DraftRuntime draftRuntime) {
      this.draftRuntime = Objects.requireNonNull(draftRuntime, "draftRuntime == null");
      return this;
    }

    /**
     * Publishes checkpoints with a {@code package.json} with a real build (e.g. Vite); the others,
     * and every checkpoint when not set, are published as a copy of their files.
     */
    public Builder publisher(Publisher publisher) {
      this.publisher = Objects.requireNonNull(publisher, "publisher == null");
      return this;
    }

    /**
     * Vite draft mode and Vite builds for apps with a {@code package.json} (runtime-vite, every
     * process in the app's sandbox), and the {@code vite-vanilla} and {@code vite-react} templates.
     * Needs Node 20.19+ and npm, and the npm registry (reached only through the sandbox's proxy).
     */
    public Builder vite() {
      this.vite = true;
      return this;
    }

    /**
     * Runs app code without isolation: an explicit opt-in for machines without bubblewrap. It is
     * logged as a warning, {@code GET /admin/studio} answers {@code "isolated": false}, and the UI
     * shows a warning banner. By default every sandbox requires bubblewrap.
     */
    public Builder unisolated() {
      this.unisolated = true;
      return this;
    }

    /** Adds a template besides the built-in {@code static-vanilla} one. */
    public Builder template(AppTemplate template) {
      templates.add(Objects.requireNonNull(template, "template == null"));
      return this;
    }

    /** How long an idle event stream waits before sending a comment line (default 15 s). */
    public Builder heartbeat(Duration heartbeat) {
      if (heartbeat.isNegative() || heartbeat.isZero()) {
        throw new IllegalArgumentException("heartbeat must be positive");
      }
      this.heartbeat = heartbeat;
      return this;
    }

    /** Largest request body accepted (default 1 MiB); larger ones get 413. */
    public Builder maxRequestBytes(int maxRequestBytes) {
      if (maxRequestBytes < 1024) {
        throw new IllegalArgumentException("maxRequestBytes must be >= 1024");
      }
      this.maxRequestBytes = maxRequestBytes;
      return this;
    }

    /** Opens the database and starts listening. */
    public Studio start() {
      try {
        return new Studio(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start the studio: " + e.getMessage(), e);
      }
    }
  }
}
