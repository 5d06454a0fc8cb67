package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.checkpoint.CheckpointStore;
import io.chatbuilder.core.conversation.ConversationStore;
import io.chatbuilder.core.event.AppEventLog;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.runtime.DraftRuntime;
import io.chatbuilder.core.runtime.Publisher;
import io.chatbuilder.core.sandbox.CommandPolicy;
import io.chatbuilder.core.sandbox.SandboxProvider;
import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.models.AnthropicChatModel;
import io.chatbuilder.models.OpenAiChatModel;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import io.chatbuilder.store.jdbc.JdbcStores;
import java.net.InetAddress;
import java.net.UnknownHostException;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;

/**
 * The ChatBuilder facade and its parts. Each bean backs off when the host defines one of the same
 * type, so a host replaces any part (the model, the sandboxes, the stores) without touching the rest.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@EnableConfigurationProperties(ChatBuilderProperties.class)
public class ChatBuilderAutoConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(ChatBuilderAutoConfiguration.class);
  static final String SECURITY_CONTEXT = "org.springframework.security.core.context.SecurityContextHolder";

  /**
   * Who may do what with which app, for every caller that acts through a principal: the facade's
   * app handles and runs ({@link ChatBuilder#app(String, AppPrincipal)}), the HTTP API and the MCP
   * tools all ask this one policy. By default:
   * <ul>
   *   <li>no Spring Security on the classpath and {@code server.address} a loopback address:
   *       everyone (a single-user tool on one machine);
   *   <li>otherwise: nobody, until the host defines an {@link AppAccessPolicy} bean.
   * </ul>
   * The host's own facade calls that take no principal are never asked.
   */
  @Bean
  @ConditionalOnMissingBean
  AppAccessPolicy chatBuilderAccessPolicy(Environment environment, ResourceLoader resources) {
    // The context's class loader: the one @ConditionalOnClass sees too.
    boolean security = ClassUtils.isPresent(SECURITY_CONTEXT, resources.getClassLoader());
    boolean loopback = listensOnLoopback(environment);
    if (!security && loopback) {
      return AppAccessPolicy.allowAll();
    }
    LOG.warn("ChatBuilder denies every principal (HTTP API, MCP tools, app handles): {}; define an AppAccessPolicy bean "
        + "to say who may use which app", security ? "Spring Security is on the classpath" : "server.address is not a loopback address");
    return AppAccessPolicy.denyAll();
  }

  /** Boot listens on every interface when {@code server.address} is not set: that is not loopback. */
  static boolean listensOnLoopback(Environment environment) {
    String address = environment.getProperty("server.address");
    if (address == null || address.isBlank()) {
      return false;
    }
    try {
      String a = address.strip();
      if (a.startsWith("[") && a.endsWith("]")) {
        a = a.substring(1, a.length() - 1);
      }
      // A literal or a name; a name is resolved once, as the server will when it binds.
      for (InetAddress i : InetAddress.getAllByName(a)) {
        if (!i.isLoopbackAddress()) {
          return false;
        }
      }
      return true;
    } catch (UnknownHostException e) {
      return false;
    }
  }


  /** The stores on the application's {@code DataSource} (Boot's embedded H2 when the host configured none). */
  @Configuration(proxyBeanMethods = false)
  @ConditionalOnBean(DataSource.class)
  @ConditionalOnProperty(prefix = "chatbuilder.store", name = "enabled", havingValue = "true", matchIfMissing = true)
  static class JdbcStoresConfiguration {
    @Bean
    @ConditionalOnMissingBean
    JdbcStores chatBuilderJdbcStores(DataSource dataSource, ChatBuilderProperties properties) {
      return JdbcStores.builder(dataSource).tablePrefix(properties.store().tablePrefix()).build();
    }
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(SandboxProvider.class)
  LocalSandboxProvider chatBuilderSandboxProvider(ChatBuilderProperties properties) {
    ChatBuilderProperties.Sandbox sandbox = properties.sandbox();
    return LocalSandboxProvider.create(sandbox.baseDirectory().toAbsolutePath().normalize(),
        b -> b.isolation(sandbox.isolation()).policy(CommandPolicy.defaults()));
  }

  @Bean
  @ConditionalOnMissingBean
  @ConditionalOnExpression("'${chatbuilder.model.provider:none}'.toLowerCase() != 'none'")
  ModelClient chatBuilderModelClient(ChatBuilderProperties properties) {
    return modelFrom(properties.model());
  }

  static ModelClient modelFrom(ChatBuilderProperties.Model m) {
    return switch (m.provider()) {
      case ANTHROPIC -> {
        AnthropicChatModel.Builder b = AnthropicChatModel.builder()
            .model(m.name().orElse(io.chatbuilder.models.ModelClients.DEFAULT_ANTHROPIC_MODEL))
            .connectTimeout(m.connectTimeout()).idleTimeout(m.idleTimeout());
        m.apiKey().ifPresent(b::apiKey);
        m.baseUrl().ifPresent(b::baseUrl);
        yield b.build();
      }
      case OPENAI -> {
        OpenAiChatModel.Builder b = OpenAiChatModel.builder()
            .model(m.name().orElse(io.chatbuilder.models.ModelClients.DEFAULT_OPENAI_MODEL))
            .connectTimeout(m.connectTimeout()).idleTimeout(m.idleTimeout());
        m.apiKey().ifPresent(b::apiKey);
        m.baseUrl().ifPresent(b::baseUrl);
        yield b.build();
      }
      case NONE -> throw new IllegalStateException("chatbuilder.model.provider is none");
    };
  }

  /**
   * The facade. Closing the context closes it: runs in progress are cancelled and each writes its
   * terminal {@code run_cancelled} event (and a checkpoint if it changed files) before the stores go.
   */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  ChatBuilder chatBuilder(ChatBuilderProperties properties, ObjectProvider<ModelClient> model,
      SandboxProvider sandboxes, ObjectProvider<JdbcStores> jdbcStores, ObjectProvider<CheckpointStore> checkpointStore,
      ObjectProvider<ConversationStore> conversationStore, ObjectProvider<EventLog> eventLog,
      ObjectProvider<AppEventLog> appEventLog,
      ObjectProvider<DraftRuntime> draftRuntime, ObjectProvider<Publisher> publisher, ObjectProvider<Tool> tools,
      ObjectProvider<AppTemplate> templates, AppAccessPolicy accessPolicy) {
    ModelClient client = model.getIfAvailable(() -> {
      throw new IllegalStateException("ChatBuilder needs a model: set chatbuilder.model.provider (anthropic or openai) "
          + "with chatbuilder.model.api-key, or define a ModelClient bean");
    });
    ChatBuilder.Builder b = ChatBuilder.builder().model(client).sandboxes(sandboxes).accessPolicy(accessPolicy);
    JdbcStores stores = jdbcStores.getIfAvailable();
    // A host's own store beans win over the JDBC ones, part by part.
    CheckpointStore checkpoints = checkpointStore.getIfAvailable(() -> stores == null ? null : stores.checkpointStore());
    ConversationStore conversations = conversationStore.getIfAvailable(() -> stores == null ? null : stores.conversationStore());
    EventLog events = eventLog.getIfAvailable(() -> stores == null ? null : stores.eventLog());
    if (checkpoints != null) {
      b.checkpointStore(checkpoints);
    }
    if (conversations != null) {
      b.conversationStore(conversations);
    }
    if (events != null) {
      b.eventLog(events);
    }
    AppEventLog appEvents = appEventLog.getIfAvailable(() -> stores == null ? null : stores.appEventLog());
    if (appEvents != null) {
      b.appEventLog(appEvents);
    }
    if (checkpoints == null || events == null) {
      LOG.warn("ChatBuilder keeps checkpoints or events in memory (no DataSource or chatbuilder.store.enabled=false): "
          + "they are lost on restart");
    }
    draftRuntime.ifAvailable(b::draftRuntime);
    publisher.ifAvailable(b::publisher);
    tools.orderedStream().forEach(b::tool);
    templates.orderedStream().forEach(b::template);
    return b.build();
  }
}
