package io.chatbuilder.tools.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ErrorCode;
import io.chatbuilder.core.checkpoint.RunOutcome;
import io.chatbuilder.core.event.Event;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The agent calls the tools of a real MCP server over Streamable HTTP: the SDK's servlet transport in embedded Tomcat. */
class McpToolSourceHttpTest {
  static final String TOKEN = "s3cret-token";
  static Tomcat tomcat;
  static McpSyncServer server;
  static int port;

  @BeforeAll
  static void start() throws Exception {
    HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
        .jsonMapper(McpJsonDefaults.getMapper()).mcpEndpoint("/mcp").build();
    server = TestMcpServer.build(McpServer.sync(transport), false);
    tomcat = new Tomcat();
    Path base = Files.createTempDirectory("mcp-tomcat");
    tomcat.setBaseDir(base.toString());
    tomcat.setPort(0);
    Context context = tomcat.addContext("", base.toString());
    Tomcat.addServlet(context, "mcp", transport).setAsyncSupported(true);
    context.addServletMappingDecoded("/mcp", "mcp");
    // The header the host configured must reach the server on every request.
    FilterDef auth = new FilterDef();
    auth.setFilterName("auth");
    auth.setFilter((Filter) (request, response, chain) -> {
      if (!("Bearer " + TOKEN).equals(((HttpServletRequest) request).getHeader("Authorization"))) {
        ((HttpServletResponse) response).sendError(401);
        return;
      }
      chain.doFilter(request, response);
    });
    auth.setAsyncSupported("true");
    context.addFilterDef(auth);
    FilterMap map = new FilterMap();
    map.setFilterName("auth");
    map.addURLPattern("/*");
    context.addFilterMap(map);
    tomcat.getConnector();
    tomcat.start();
    port = tomcat.getConnector().getLocalPort();
  }

  @AfterAll
  static void stop() throws LifecycleException {
    server.closeGracefully();
    tomcat.stop();
    tomcat.destroy();
  }

  static McpToolSource.HttpBuilder client() {
    return McpToolSource.streamableHttp("web").url("http://127.0.0.1:" + port + "/mcp")
        .header("Authorization", "Bearer " + TOKEN).initTimeout(Duration.ofSeconds(20));
  }

  @Test
  void theAgentCallsAStreamableHttpToolEndToEnd() {
    try (McpToolSource source = client().connect()) {
      Agent.Outcome run = Agent.run(source.tools(), new String[] {"web__add", "{\"a\":40,\"b\":2}"});

      assertThat(run.result().outcome()).as("%s", run.result().error()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(run.events(Event.ToolCompleted.class)).singleElement()
          .satisfies(c -> assertThat(c.toolName()).isEqualTo("web__add"));
      assertThat(run.toolResults()).singleElement().satisfies(r -> {
        assertThat(r.content()).isEqualTo("42");
        assertThat(r.error()).isFalse();
      });
    }
  }

  @Test
  void aHangingHttpToolTimesOutAndTheRunGoesOn() {
    try (McpToolSource source = client().callTimeout(Duration.ofSeconds(1)).connect()) {
      Agent.Outcome run = Agent.run(source.tools(), new String[] {"web__hang", "{}"}, new String[] {"web__fail", "{}"},
          new String[] {"web__add", "{\"a\":1,\"b\":2}"});

      assertThat(run.result().outcome()).as("%s", run.result().error()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(run.events(Event.ToolFailed.class)).hasSize(2).first().satisfies(f -> {
        assertThat(f.error()).contains("timed out after 1s", "MCP server 'web'");
        assertThat(f.errorCode()).isEqualTo(ErrorCode.TIMEOUT.wireName());
      });
      assertThat(run.toolResults().get(1).content()).contains("the database is read-only");
      assertThat(run.toolResults().get(2).content()).isEqualTo("3");
    }
  }

  @Test
  void aServerThatRefusesTheHeadersFailsAtConnect() {
    assertThatThrownBy(() -> McpToolSource.streamableHttp("web").url("http://127.0.0.1:" + port + "/mcp")
        .initTimeout(Duration.ofSeconds(5)).connect())
        .hasMessageContaining("MCP server 'web'");
  }

  @Test
  void aServerThatIsGoneIsAToolErrorNamingIt() throws Exception {
    // A second Tomcat we stop under the client: closed transport mid-run.
    HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
        .jsonMapper(McpJsonDefaults.getMapper()).mcpEndpoint("/mcp").build();
    McpSyncServer second = TestMcpServer.build(McpServer.sync(transport), false);
    Tomcat other = new Tomcat();
    Path base = Files.createTempDirectory("mcp-tomcat");
    other.setBaseDir(base.toString());
    other.setPort(0);
    Context context = other.addContext("", base.toString());
    Tomcat.addServlet(context, "mcp", transport).setAsyncSupported(true);
    context.addServletMappingDecoded("/mcp", "mcp");
    other.getConnector();
    other.start();
    int otherPort = other.getConnector().getLocalPort();
    try (McpToolSource source = McpToolSource.streamableHttp("gone").url("http://127.0.0.1:" + otherPort + "/mcp")
        .callTimeout(Duration.ofSeconds(5)).initTimeout(Duration.ofSeconds(5)).connect()) {
      second.closeGracefully();
      other.stop();
      other.destroy();
      Agent.Outcome run = Agent.run(source.tools(), new String[] {"gone__add", "{\"a\":1,\"b\":2}"},
          new String[] {"gone__add", "{\"a\":1,\"b\":2}"});

      assertThat(run.result().outcome()).as("%s", run.result().error()).isEqualTo(RunOutcome.COMPLETED);
      assertThat(run.events(Event.ToolFailed.class)).hasSize(2)
          .allSatisfy(f -> assertThat(f.error()).contains("MCP server 'gone'"));
    }
  }
}
