package io.chatbuilder.spring.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppAction;
import io.chatbuilder.core.access.AppPrincipal;
import io.chatbuilder.core.model.ModelClient;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/** Every conditional bean of {@link ChatBuilderWebAutoConfiguration}, and the default policy and token rules. */
class ChatBuilderWebAutoConfigurationTest {
  private static final AppPrincipal SOMEONE = AppPrincipal.of("someone", java.util.Set.of());

  @TempDir
  Path dir;

  private WebApplicationContextRunner web() {
    return new WebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ChatBuilderAutoConfiguration.class, ChatBuilderWebAutoConfiguration.class))
        .withPropertyValues("chatbuilder.sandbox.base-directory=" + dir)
        .withBean(ModelClient.class, () -> Fixtures.writingModel(1));
  }

  /** Spring Security is on this module's test class path; these runs hide it. */
  private WebApplicationContextRunner webWithoutSecurity() {
    return web().withClassLoader(new FilteredClassLoader("org.springframework.security"));
  }

  @Test
  void aServletAppGetsTheApiTheGuardAndThePolicy() {
    web().run(context -> assertThat(context).hasSingleBean(ChatBuilderApiController.class).hasSingleBean(HttpGuard.class)
        .hasSingleBean(ApiContractsController.class).hasSingleBean(AppOperations.class)
        .hasSingleBean(EventStreams.class).hasSingleBean(AppAccessPolicy.class).hasSingleBean(PrincipalResolver.class)
        .hasSingleBean(ApiExceptionResolver.class));
  }

  @Test
  void defaultTemplateNamesTheTemplateOfAnAppCreatedWithoutOneAndSiteUrlsFillSiteUrl() {
    io.chatbuilder.core.runtime.Publisher publisher = new io.chatbuilder.core.runtime.Publisher() {
      @Override
      public io.chatbuilder.core.runtime.PublishResult publish(String appId, io.chatbuilder.core.checkpoint.Checkpoint checkpoint,
          io.chatbuilder.core.checkpoint.CheckpointStore store, io.chatbuilder.core.runtime.StatusListener listener) {
        return new io.chatbuilder.core.runtime.PublishResult("pub_1", appId, checkpoint.id(), checkpoint.resultRevisionId(), true,
            new java.util.TreeMap<>(), "hash", "", java.util.Optional.empty(), java.util.Optional.empty(),
            java.time.Instant.EPOCH, java.time.Duration.ZERO);
      }

      @Override
      public java.util.Optional<io.chatbuilder.core.runtime.PublishResult> find(String appId, String publishId) {
        return java.util.Optional.empty();
      }

      @Override
      public java.util.List<io.chatbuilder.core.runtime.PublishResult> list(String appId, int limit) {
        return java.util.List.of();
      }
    };
    io.chatbuilder.core.runtime.AppTemplate second = new io.chatbuilder.core.runtime.AppTemplate() {
      @Override
      public String id() {
        return "zzz-second";
      }

      @Override
      public String description() {
        return "sorts after plain";
      }

      @Override
      public java.util.SortedMap<String, byte[]> files() {
        return new java.util.TreeMap<>(java.util.Map.of("second.html", new byte[] {'2'}));
      }
    };
    web().withPropertyValues("chatbuilder.sandbox.isolation=unisolated", "chatbuilder.store.enabled=false")
        .withBean(AppAccessPolicy.class, AppAccessPolicy::allowAll)
        .withBean("plain", io.chatbuilder.core.runtime.AppTemplate.class, Fixtures::template)
        .withBean("second", io.chatbuilder.core.runtime.AppTemplate.class, () -> second)
        .withBean(io.chatbuilder.core.runtime.Publisher.class, () -> publisher)
        .run(context -> {
          AppOperations ops = context.getBean(AppOperations.class);
          // Without the property: the first template by id; no PublishedSiteUrls bean: no site_url.
          assertThat(ops.createApp(SOMEONE, "a", java.util.Optional.empty()).get("template_id").asText()).isEqualTo("plain");
          assertThat(ops.publish(SOMEONE, "a", java.util.Optional.empty()).has("site_url")).isFalse();
        });
    web().withPropertyValues("chatbuilder.sandbox.isolation=unisolated", "chatbuilder.store.enabled=false",
            "chatbuilder.http.default-template=zzz-second")
        .withBean(AppAccessPolicy.class, AppAccessPolicy::allowAll)
        .withBean("plain", io.chatbuilder.core.runtime.AppTemplate.class, Fixtures::template)
        .withBean("second", io.chatbuilder.core.runtime.AppTemplate.class, () -> second)
        .withBean(io.chatbuilder.core.runtime.Publisher.class, () -> publisher)
        .withBean(PublishedSiteUrls.class, () -> r -> java.util.Optional.of("http://sites.example/" + r.appId() + "/" + r.publishId() + "/"))
        .run(context -> {
          AppOperations ops = context.getBean(AppOperations.class);
          assertThat(ops.createApp(SOMEONE, "b", java.util.Optional.empty()).get("template_id").asText()).isEqualTo("zzz-second");
          assertThat(ops.createApp(SOMEONE, "c", java.util.Optional.of("plain")).get("template_id").asText()).isEqualTo("plain");
          assertThat(ops.publish(SOMEONE, "b", java.util.Optional.empty()).get("site_url").asText())
              .isEqualTo("http://sites.example/b/pub_1/");
        });
  }

  @Test
  void httpDisabledOrNotAWebAppMeansNoApi() {
    web().withPropertyValues("chatbuilder.http.enabled=false").run(context ->
        assertThat(context).doesNotHaveBean(ChatBuilderApiController.class).doesNotHaveBean(HttpGuard.class)
            .doesNotHaveBean(ApiContractsController.class));
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(ChatBuilderAutoConfiguration.class, ChatBuilderWebAutoConfiguration.class))
        .withPropertyValues("chatbuilder.sandbox.base-directory=" + dir)
        .withBean(ModelClient.class, () -> Fixtures.writingModel(1))
        .run(context -> assertThat(context).doesNotHaveBean(ChatBuilderApiController.class));
  }

  @Test
  void defaultPolicyAllowsAllOnlyOnLoopbackWithoutSpringSecurity() {
    webWithoutSecurity().withPropertyValues("server.address=127.0.0.1").run(context ->
        assertThat(context.getBean(AppAccessPolicy.class).allows(AppPrincipal.ANONYMOUS, "a", AppAction.PUBLISH)).isTrue());
    webWithoutSecurity().withPropertyValues("server.address=::1").run(context ->
        assertThat(context.getBean(AppAccessPolicy.class).allows(AppPrincipal.ANONYMOUS, "a", AppAction.READ)).isTrue());
    // Boot listens on every interface when server.address is not set.
    webWithoutSecurity().run(context ->
        assertThat(context.getBean(AppAccessPolicy.class).allows(AppPrincipal.ANONYMOUS, "a", AppAction.READ)).isFalse());
    webWithoutSecurity().withPropertyValues("server.address=0.0.0.0").run(context ->
        assertThat(context.getBean(AppAccessPolicy.class).allows(SOMEONE, "a", AppAction.READ)).isFalse());
    // With Spring Security on the class path, the host says who may do what.
    web().withPropertyValues("server.address=127.0.0.1").run(context ->
        assertThat(context.getBean(AppAccessPolicy.class).allows(SOMEONE, "a", AppAction.READ)).isFalse());
  }

  @Test
  void aHostPolicyAndPrincipalResolverWin() {
    AppAccessPolicy own = (p, app, action) -> app.startsWith(p.name());
    PrincipalResolver principals = request -> SOMEONE;
    web().withBean(AppAccessPolicy.class, () -> own).withBean(PrincipalResolver.class, () -> principals).run(context -> {
      assertThat(context.getBean(AppAccessPolicy.class)).isSameAs(own);
      assertThat(context.getBean(PrincipalResolver.class)).isSameAs(principals);
    });
  }

  @Test
  void principalComesFromSpringSecurityWhenPresentElseAnonymous() {
    web().run(context -> assertThat(context.getBean(PrincipalResolver.class)).isInstanceOf(SecurityPrincipalResolver.class));
    webWithoutSecurity().run(context -> {
      PrincipalResolver r = context.getBean(PrincipalResolver.class);
      assertThat(r).isNotInstanceOf(SecurityPrincipalResolver.class);
      assertThat(r.resolve(new org.springframework.mock.web.MockHttpServletRequest())).isEqualTo(AppPrincipal.ANONYMOUS);
    });
  }

  @Test
  void beyondLoopbackWithoutSpringSecurityARandomTokenIsRequired() {
    webWithoutSecurity().run(context -> {
      String token = context.getBean(HttpGuard.class).accessToken().orElseThrow();
      assertThat(token).matches("[0-9a-f]{48}");
    });
    webWithoutSecurity().run(first -> webWithoutSecurity().run(second ->
        assertThat(first.getBean(HttpGuard.class).accessToken()).isNotEqualTo(second.getBean(HttpGuard.class).accessToken())));
    webWithoutSecurity().withPropertyValues("chatbuilder.http.access-token=s3cret").run(context ->
        assertThat(context.getBean(HttpGuard.class).accessToken()).contains("s3cret"));
    webWithoutSecurity().withPropertyValues("server.address=127.0.0.1").run(context ->
        assertThat(context.getBean(HttpGuard.class).accessToken()).isEmpty());
  }

  @Test
  void hostNamesAreParsedStrictly() {
    assertThat(HttpGuard.hostName("LocalHost:8080")).contains("localhost");
    assertThat(HttpGuard.hostName("[::1]:80")).contains("[::1]");
    assertThat(HttpGuard.hostName("evil.example")).contains("evil.example");
    assertThat(HttpGuard.hostName("localhost:80@evil")).isEmpty();
    assertThat(HttpGuard.hostName("")).isEmpty();
    assertThat(HttpGuard.hosts(java.util.List.of("app.example"), java.util.Optional.of("10.0.0.5")))
        .contains("localhost", "127.0.0.1", "[::1]", "app.example", "10.0.0.5");
    assertThat(HttpGuard.isJson("application/json; charset=utf-8")).isTrue();
    assertThat(HttpGuard.isJson("application/problem+json")).isTrue();
    assertThat(HttpGuard.isJson("text/plain")).isFalse();
    assertThat(HttpGuard.isJson(null)).isFalse();
  }
}
