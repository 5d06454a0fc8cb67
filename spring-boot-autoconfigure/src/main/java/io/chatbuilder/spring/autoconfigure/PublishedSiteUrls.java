package io.chatbuilder.spring.autoconfigure;

import io.chatbuilder.core.runtime.PublishResult;
import java.util.Optional;

/**
 * Where the host serves published sites: the {@code site_url} of publish results, in the HTTP API
 * and the MCP tools alike. Define a bean to fill it in; without one publish results have none.
 */
@FunctionalInterface
public interface PublishedSiteUrls {
  /** The URL at which the site {@code result} published is served; empty when it is not served. */
  Optional<String> siteUrl(PublishResult result);
}
