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
        .hasSingleBean(EventStreams.class).hasSingleBean(AppAccessPolicy.class).hasSingleBean(PrincipalResolver.class));
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
