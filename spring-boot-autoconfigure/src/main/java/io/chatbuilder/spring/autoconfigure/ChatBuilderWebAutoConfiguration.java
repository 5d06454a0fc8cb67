package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.ChatBuilder;
import io.chatbuilder.core.access.AppAccessPolicy;
import io.chatbuilder.core.access.AppPrincipal;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ListableBeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * The HTTP API (a Spring MVC controller under {@code chatbuilder.http.base-path}), its guard
 * filter, and the principal it asks the {@link AppAccessPolicy} about (the policy is the facade's,
 * from {@link ChatBuilderAutoConfiguration}).
 *
 * <p>Listening beyond loopback without a Spring Security filter chain, the API also requires an access
 * token, random unless {@code chatbuilder.http.access-token} is set, logged once at start.
 */
@AutoConfiguration(after = ChatBuilderAutoConfiguration.class,
    afterName = "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration")
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnClass(DispatcherServlet.class)
@ConditionalOnBean(ChatBuilder.class)
@ConditionalOnProperty(prefix = "chatbuilder.http", name = "enabled", havingValue = "true", matchIfMissing = true)
public class ChatBuilderWebAutoConfiguration {
  private static final Logger LOG = LoggerFactory.getLogger(ChatBuilderWebAutoConfiguration.class);
  static final String SECURITY_CONTEXT = ChatBuilderAutoConfiguration.SECURITY_CONTEXT;
  static final String SECURITY_FILTER_CHAIN = "org.springframework.security.web.SecurityFilterChain";

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnClass(name = SECURITY_CONTEXT)
  static class SecurityPrincipalConfiguration {
    @Bean
    @ConditionalOnMissingBean
    PrincipalResolver chatBuilderPrincipalResolver() {
      return new SecurityPrincipalResolver();
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnMissingClass(SECURITY_CONTEXT)
  static class AnonymousPrincipalConfiguration {
    @Bean
    @ConditionalOnMissingBean
    PrincipalResolver chatBuilderPrincipalResolver() {
      return request -> AppPrincipal.ANONYMOUS;
    }
  }

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  EventStreams chatBuilderEventStreams(ChatBuilderProperties properties) {
    ChatBuilderProperties.Http http = properties.http();
    return new EventStreams(http.heartbeat(), http.streamTimeout(), http.streamQueueCapacity());
  }

  @Bean
  @ConditionalOnMissingBean
  AppOperations chatBuilderAppOperations(ChatBuilder chatBuilder, AppAccessPolicy policy, ChatBuilderProperties properties,
      ObjectProvider<PublishedSiteUrls> siteUrls) {
    return new AppOperations(chatBuilder, policy, properties.http().defaultTemplate(),
        siteUrls.getIfAvailable(() -> result -> Optional.empty()));
  }

  /** Every failure under the base path (a host's own controllers there too) answers as {@code {"code","message"}}. */
  @Bean
  @ConditionalOnMissingBean
  ApiExceptionResolver chatBuilderApiExceptionResolver(ChatBuilderProperties properties) {
    return new ApiExceptionResolver(properties.http().basePath());
  }

  @Bean
  @ConditionalOnMissingBean
  ChatBuilderApiController chatBuilderApiController(AppOperations operations,
      PrincipalResolver principals, EventStreams streams) {
    return new ChatBuilderApiController(operations, principals, streams);
  }

  @Bean
  @ConditionalOnMissingBean
  ApiContractsController chatBuilderApiContractsController(ChatBuilderProperties properties,
      ObjectProvider<OpenApiAddition> additions) {
    return new ApiContractsController(properties.http().basePath(), additions.orderedStream().toList());
  }

  @Bean
  @ConditionalOnMissingBean
  HttpGuard chatBuilderHttpGuard(ChatBuilderProperties properties, Environment environment, ListableBeanFactory beans,
      ResourceLoader resources) {
    ChatBuilderProperties.Http http = properties.http();
    Optional<String> serverAddress = Optional.ofNullable(environment.getProperty("server.address"));
    Optional<String> token = Optional.empty();
    if (!ChatBuilderAutoConfiguration.listensOnLoopback(environment) && !hasSecurityFilterChain(beans, resources.getClassLoader())) {
      token = Optional.of(http.accessToken().orElseGet(ChatBuilderWebAutoConfiguration::randomToken));
      LOG.warn("ChatBuilder's HTTP API at {} listens beyond loopback without Spring Security: every request needs the "
          + "access token {} ('Authorization: Bearer <token>' or '?token=<token>')", http.basePath(),
          http.accessToken().isPresent() ? "from chatbuilder.http.access-token" : token.get());
    }
    return new HttpGuard(http.basePath(), HttpGuard.hosts(http.allowedHosts(), serverAddress),
        Set.copyOf(http.allowedOrigins()), token, http.maxRequestBytes(), http.maxChatRequestBytes());
  }

  private static boolean hasSecurityFilterChain(ListableBeanFactory beans, ClassLoader loader) {
    if (!ClassUtils.isPresent(SECURITY_FILTER_CHAIN, loader)) {
      return false;
    }
    return beans.getBeanNamesForType(ClassUtils.resolveClassName(SECURITY_FILTER_CHAIN, loader), false, false).length > 0;
  }

  private static String randomToken() {
    byte[] bytes = new byte[24];
    new SecureRandom().nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }
}
