package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.RunHandle;
import io.chatbuilder.core.RunRequest;
import io.chatbuilder.core.access.AccessDeniedException;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.event.Event;
import io.chatbuilder.core.event.EventLog;
import io.chatbuilder.core.event.InMemoryEventLog;
import io.chatbuilder.core.model.ModelClient;
import io.chatbuilder.core.runtime.AppTemplate;
import io.chatbuilder.core.testing.InMemorySandbox;
import io.chatbuilder.core.sandbox.SandboxProvider;
import io.chatbuilder.models.AnthropicChatModel;
import io.chatbuilder.models.OpenAiChatModel;
import io.chatbuilder.sandbox.local.Isolation;
import io.chatbuilder.sandbox.local.LocalSandboxProvider;
import io.chatbuilder.store.jdbc.JdbcStores;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;

/** Every conditional bean and property of {@link ChatBuilderAutoConfiguration}. */
class ChatBuilderAutoConfigurationTest {
  @TempDir
  Path dir;

  private ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ChatBuilderAutoConfiguration.class))
        .withPropertyValues("chatbuilder.sandbox.base-directory=" + dir.resolve("apps"));
  }

  private ApplicationContextRunner withModel() {
    return runner().withBean(ModelClient.class, () -> Fixtures.writingModel(1));
  }

  @Test
  void withoutAModelTheContextFailsNamingWhatToSet() {
    runner().run(context -> {
      assertThat(context).hasFailed();
      assertThat(context.getStartupFailure()).rootCause()
          .hasMessageContaining("chatbuilder.model.provider").hasMessageContaining("ModelClient bean");
    });
  }

  @Test
  void aHostModelGivesTheFacadeAndTheLocalSandboxes() {
    withModel().run(context -> {
      assertThat(context).hasSingleBean(ChatBuilder.class).hasSingleBean(LocalSandboxProvider.class)
          .doesNotHaveBean(JdbcStores.class); // no DataSource: in memory
      assertThat(context.getBean(ModelClient.class).name()).isEqualTo("scripted");
    });
  }

  @Test
  void theFacadeAsksTheOnePolicyBeanForEveryPrincipal() {
    AppPrincipal alice = AppPrincipal.of("alice", Set.of());
    AppPrincipal bob = AppPrincipal.of("bob", Set.of());
    AppAccessPolicy owner = (p, app, action) -> app.startsWith(p.name() + "-");
    withModel().withBean(AppAccessPolicy.class, () -> owner).run(context -> {
      assertThat(context.getBean(AppAccessPolicy.class)).isSameAs(owner);
      ChatBuilder facade = context.getBean(ChatBuilder.class);
      facade.initialize("alice-shop");
      assertThat(facade.app("alice-shop", alice).checkpoints(10)).hasSize(1);
      assertThatThrownBy(() -> facade.app("alice-shop", bob).checkpoints(10)).isInstanceOf(AccessDeniedException.class);
      assertThatThrownBy(() -> facade.app("alice-shop", bob).undo()).isInstanceOf(AccessDeniedException.class);
      assertThatThrownBy(() -> facade.chat("alice-shop", RunRequest.builder("mine now").principal(bob).build()))
          .isInstanceOf(AccessDeniedException.class);
      assertThat(facade.runIds("alice-shop", 10)).isEmpty();
    });
    // Spring Security is on this module's test class path: without a policy bean every principal is
    // refused, anonymous included; the host's own calls (no principal) are not asked.
    withModel().run(context -> {
      ChatBuilder facade = context.getBean(ChatBuilder.class);
      facade.initialize("shop");
      assertThatThrownBy(() -> facade.app("shop", AppPrincipal.ANONYMOUS).checkpoints(10))
          .isInstanceOf(AccessDeniedException.class);
      assertThatThrownBy(() -> facade.app("shop", alice).head()).isInstanceOf(AccessDeniedException.class);
      assertThat(facade.checkpoints("shop", 10)).hasSize(1);
    });
    // Neither Spring Security nor a non-loopback address: a single-user tool, everyone may.
    withModel().withClassLoader(new FilteredClassLoader("org.springframework.security"))
        .withPropertyValues("server.address=127.0.0.1").run(context -> {
          ChatBuilder facade = context.getBean(ChatBuilder.class);
          facade.initialize("shop");
          assertThat(facade.app("shop", AppPrincipal.ANONYMOUS).checkpoints(10)).hasSize(1);
        });
  }

  @Test
  void providerOpenAiBuildsTheOpenAiClientWithTheConfiguredModel() {
    runner().withPropertyValues("chatbuilder.model.provider=openai", "chatbuilder.model.name=my-model",
        "chatbuilder.model.api-key=sk-test", "chatbuilder.model.base-url=http://127.0.0.1:9/v1").run(context -> {
          assertThat(context).hasSingleBean(ChatBuilder.class);
          ModelClient model = context.getBean(ModelClient.class);
          assertThat(model).isInstanceOf(OpenAiChatModel.class);
          assertThat(model.name()).contains("my-model");
          assertThat(model.toString()).doesNotContain("sk-test");
        });
  }

  @Test
  void providerAnthropicBuildsTheAnthropicClient() {
    runner().withPropertyValues("chatbuilder.model.provider=anthropic", "chatbuilder.model.api-key=k").run(context -> {
      assertThat(context.getBean(ModelClient.class)).isInstanceOf(AnthropicChatModel.class);
    });
  }

  @Test
  void providerNoneMakesNoModelAndAHostModelBeatsTheProperty() {
    runner().withPropertyValues("chatbuilder.model.provider=none").run(context -> assertThat(context).hasFailed());
    withModel().withPropertyValues("chatbuilder.model.provider=openai").run(context ->
        assertThat(context.getBean(ModelClient.class)).isNotInstanceOf(OpenAiChatModel.class));
  }

  @Test
  void storesGoOnTheApplicationsDataSourceWithTheTablePrefix() {
    withModel().withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:stores;DB_CLOSE_DELAY=-1", "chatbuilder.store.table-prefix=host_cb_")
        .run(context -> {
          assertThat(context).hasSingleBean(JdbcStores.class);
          JdbcStores stores = context.getBean(JdbcStores.class);
          assertThat(stores.tablePrefix()).isEqualTo("host_cb_");
          ChatBuilder cb = context.getBean(ChatBuilder.class);
          assertThat(cb.checkpointStore()).isSameAs(stores.checkpointStore());
        });
  }

  @Test
  void storeDisabledKeepsTheDataSourceOutOfIt() {
    withModel().withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class))
        .withPropertyValues("spring.datasource.url=jdbc:h2:mem:off;DB_CLOSE_DELAY=-1", "chatbuilder.store.enabled=false")
        .run(context -> assertThat(context).doesNotHaveBean(JdbcStores.class).hasSingleBean(ChatBuilder.class));
  }

  @Test
  void hostBeansReplaceEachPart() {
    SandboxProvider own = appId -> InMemorySandbox.builder(appId).build();
    EventLog log = new InMemoryEventLog();
    withModel().withBean(SandboxProvider.class, () -> own).withBean(EventLog.class, () -> log).run(context -> {
      assertThat(context).doesNotHaveBean(LocalSandboxProvider.class);
      assertThat(context.getBean(SandboxProvider.class)).isSameAs(own);
      assertThat(context.getBean(ChatBuilder.class).sandbox("x")).isInstanceOf(InMemorySandbox.class);
    });
    ChatBuilder hostFacade = ChatBuilder.builder().model(Fixtures.writingModel(1)).sandboxes(own).build();
    withModel().withBean(ChatBuilder.class, () -> hostFacade).run(context ->
        assertThat(context.getBean(ChatBuilder.class)).isSameAs(hostFacade));
  }

  @Test
  void propertiesBindWithTheirDefaultsAndDurations() {
    withModel().run(context -> {
      ChatBuilderProperties p = context.getBean(ChatBuilderProperties.class);
      assertThat(p.sandbox().isolation()).isEqualTo(Isolation.BUBBLEWRAP); // fails closed unless told otherwise
      assertThat(p.http().basePath()).isEqualTo("/admin");
      assertThat(p.http().heartbeat()).isEqualTo(Duration.ofSeconds(15));
      assertThat(p.store().tablePrefix()).isEqualTo("cb_");
      assertThat(p.model().provider()).isEqualTo(ChatBuilderProperties.Provider.NONE);
    });
    withModel().withPropertyValues("chatbuilder.sandbox.isolation=unisolated", "chatbuilder.http.base-path=/builder",
        "chatbuilder.http.heartbeat=2s", "chatbuilder.http.allowed-hosts=app.example,api.example",
        "chatbuilder.model.connect-timeout=3s").run(context -> {
          ChatBuilderProperties p = context.getBean(ChatBuilderProperties.class);
          assertThat(p.sandbox().isolation()).isEqualTo(Isolation.UNISOLATED);
          assertThat(p.http().basePath()).isEqualTo("/builder");
          assertThat(p.http().heartbeat()).isEqualTo(Duration.ofSeconds(2));
          assertThat(p.http().allowedHosts()).containsExactly("app.example", "api.example");
          assertThat(p.model().connectTimeout()).isEqualTo(Duration.ofSeconds(3));
        });
    withModel().withPropertyValues("chatbuilder.http.base-path=admin/").run(context ->
        assertThat(context).hasFailed());
  }

  @Test
  void closingTheContextCancelsRunsAndWritesTheirTerminalEvent() throws Exception {
    EventLog log = new InMemoryEventLog();
    RunHandle[] run = new RunHandle[1];
    runner().withPropertyValues("chatbuilder.sandbox.isolation=unisolated")
        .withBean(ModelClient.class, Fixtures::holdingModel)
        .withBean(AppTemplate.class, Fixtures::template)
        .withBean(EventLog.class, () -> log)
        .run(context -> {
          ChatBuilder cb = context.getBean(ChatBuilder.class);
          cb.createApp("shop", "plain");
          run[0] = cb.chat("shop", "hold on");
          // The run is under way (its model turn holds) when the context closes.
          run[0].subscribe(0, e -> { }).close();
          ((ConfigurableApplicationContext) context.getSourceApplicationContext()).close();
        });
    assertThat(run[0].completion().get(30, TimeUnit.SECONDS).outcome().name()).isEqualTo("CANCELLED");
    List<Event> events = log.read("shop", run[0].runId(), 0);
    assertThat(events).isNotEmpty();
    assertThat(events.get(events.size() - 1)).isInstanceOf(Event.RunCancelled.class);
  }
}
