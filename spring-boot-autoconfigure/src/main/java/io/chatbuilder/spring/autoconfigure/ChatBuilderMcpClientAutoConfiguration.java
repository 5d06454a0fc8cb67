package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.tool.Tool;
import io.chatbuilder.tools.mcp.McpToolSource;
import java.util.Map;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.beans.factory.support.BeanDefinitionBuilder;
import org.springframework.beans.factory.support.BeanDefinitionRegistry;
import org.springframework.beans.factory.support.BeanDefinitionRegistryPostProcessor;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.EnvironmentAware;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The host's MCP servers ({@code chatbuilder.mcp.clients.<name>.*}) as tools of the agent. Each
 * server is a {@link McpToolSource} bean named {@code chatBuilderMcpClient.<name>} (closed with the
 * context, which stops a stdio server); each of its tools a {@link Tool} bean, which
 * {@link ChatBuilderAutoConfiguration}'s facade collects like any host tool. A host that defines a
 * bean of that name itself replaces that server's wiring.
 *
 * <p>A server's tools are known only once it answered {@code tools/list}, so the servers connect
 * while the bean definitions are settled, before the facade is built; one that cannot start or does
 * not answer fails the context's start with the server's name.
 */
@AutoConfiguration(before = ChatBuilderAutoConfiguration.class)
@ConditionalOnClass(McpToolSource.class)
@EnableConfigurationProperties(McpClientProperties.class)
public class ChatBuilderMcpClientAutoConfiguration {
  static final String BEAN_PREFIX = "chatBuilderMcpClient.";

  @Bean
  static BeanDefinitionRegistryPostProcessor chatBuilderMcpClientRegistrar() {
    return new Registrar();
  }

  static McpToolSource connect(String name, McpClientProperties.Client c) {
    if (c.command().isPresent()) {
      McpToolSource.StdioBuilder b = McpToolSource.stdio(name).command(c.command().get()).args(c.args()).env(c.env())
          .callTimeout(c.callTimeout()).initTimeout(c.initTimeout());
      c.workingDirectory().ifPresent(b::workingDirectory);
      return b.connect();
    }
    return McpToolSource.streamableHttp(name).url(c.url().orElseThrow()).headers(c.headers())
        .callTimeout(c.callTimeout()).initTimeout(c.initTimeout()).connect();
  }

  static final class Registrar implements BeanDefinitionRegistryPostProcessor, EnvironmentAware {
    private Map<String, McpClientProperties.Client> clients = Map.of();

    @Override
    public void setEnvironment(Environment environment) {
      clients = Binder.get(environment).bind("chatbuilder.mcp", Bindable.of(McpClientProperties.class))
          .map(McpClientProperties::clients).orElse(Map.of());
    }

    @Override
    public void postProcessBeanDefinitionRegistry(BeanDefinitionRegistry registry) throws BeansException {
      clients.forEach((name, client) -> {
        String bean = BEAN_PREFIX + name;
        if (!registry.containsBeanDefinition(bean)) {
          registry.registerBeanDefinition(bean, BeanDefinitionBuilder
              .genericBeanDefinition(McpToolSource.class, () -> connect(name, client))
              .setDestroyMethodName("close").getBeanDefinition());
        }
      });
    }

    @Override
    public void postProcessBeanFactory(ConfigurableListableBeanFactory beanFactory) throws BeansException {
      for (String name : clients.keySet()) {
        String bean = BEAN_PREFIX + name;
        if (!beanFactory.isTypeMatch(bean, McpToolSource.class)) {
          continue;
        }
        McpToolSource source = beanFactory.getBean(bean, McpToolSource.class);
        for (Tool tool : source.tools()) {
          beanFactory.registerSingleton(bean + "." + tool.definition().name(), tool);
        }
      }
    }
  }
}
