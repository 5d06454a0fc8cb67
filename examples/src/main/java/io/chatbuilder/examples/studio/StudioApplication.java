package io.chatbuilder.examples.studio;

import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.spring.autoconfigure.OpenApiAddition;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The studio as a Spring Boot application on the ChatBuilder starter. {@link Studio} registers its
 * parts (model, sandboxes, draft runtime, publisher, templates, site URLs) as beans before the
 * context starts, so the starter's {@code @ConditionalOnMissingBean} beans back off for them; the
 * starter adds the stores on the H2 {@code DataSource}, the facade and the HTTP API. No component
 * scan: the sample Spring host beside it in this module stays out.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
class StudioApplication {
  /**
   * One person's tool: whoever reaches the API may use every app. It listens on loopback unless
   * told otherwise; beyond loopback the starter requires its access token on every API request.
   */
  @Bean
  AppAccessPolicy studioAccessPolicy() {
    return AppAccessPolicy.allowAll();
  }

  /** The studio-only endpoints ({@code GET /admin/studio}) in the served {@code openapi.json}. */
  @Bean
  OpenApiAddition studioOpenApi() {
    try (java.io.InputStream in = StudioApplication.class.getResourceAsStream("studio-openapi.json")) {
      return new OpenApiAddition("studio", new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Bean
  StudioController studioController(StudioController.Info info) {
    return new StudioController(info);
  }
}
