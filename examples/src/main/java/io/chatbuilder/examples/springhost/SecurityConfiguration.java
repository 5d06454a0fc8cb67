package io.chatbuilder.examples.springhost;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.crypto.factory.PasswordEncoderFactories;
import org.springframework.security.crypto.password.PasswordEncoder;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * Two users with HTTP Basic, for the sample. CSRF tokens are off for the API only: the starter's
 * guard already refuses state-changing requests from foreign origins and any that are not JSON
 * (which a foreign page cannot send without a CORS preflight this API never grants).
 */
@Configuration(proxyBeanMethods = false)
class SecurityConfiguration {
  @Bean
  SecurityFilterChain api(HttpSecurity http, @Value("${chatbuilder.http.base-path:/admin}") String basePath) throws Exception {
    http.authorizeHttpRequests(a -> a.anyRequest().authenticated())
        .httpBasic(Customizer.withDefaults())
        .csrf(c -> c.ignoringRequestMatchers(basePath + "/**"));
    return http.build();
  }

  @Bean
  UserDetailsService users(PasswordEncoder encoder, @Value("${springhost.alice-password}") String alice,
      @Value("${springhost.bob-password}") String bob) {
    return new InMemoryUserDetailsManager(
        User.withUsername("alice").password(encoder.encode(alice)).roles("USER").build(),
        User.withUsername("bob").password(encoder.encode(bob)).roles("USER").build());
  }

  @Bean
  PasswordEncoder passwordEncoder() {
    return PasswordEncoderFactories.createDelegatingPasswordEncoder();
  }
}
