package io.chatbuilder.examples.springhost;

import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.runtime.AppTemplate;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.PropertySource;

/**
 * A host application on the ChatBuilder Spring Boot starter: Spring Security with two users, and an
 * access policy under which each user sees and changes only their own apps.
 *
 * <pre>
 * CHATBUILDER_MODEL_PROVIDER=anthropic CHATBUILDER_MODEL_API_KEY=... \
 *   java -cp ... io.chatbuilder.examples.springhost.SpringHostApplication
 * </pre>
 *
 * The database is the application's {@code DataSource}: Boot's embedded H2 unless
 * {@code spring.datasource.url} names another (the tests run it on PostgreSQL too). It serves
 * ChatBuilder's MCP tools at {@code /admin/mcp} as well ({@code springhost.properties}), behind the
 * same login and policy.
 */
@SpringBootApplication
@PropertySource("classpath:io/chatbuilder/examples/springhost/springhost.properties")
public class SpringHostApplication {
  public static void main(String[] args) {
    SpringApplication.run(SpringHostApplication.class, args);
  }

  @Bean
  AppAccessPolicy ownerPolicy() {
    return new OwnerPolicy();
  }

  @Bean
  AppTemplate blankTemplate() {
    return new BlankTemplate();
  }
}
