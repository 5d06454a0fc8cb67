package io.chatbuilder.core.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class AppPagePolicyTest {
  private static Map<String, String> directives(String policy) {
    return Arrays.stream(policy.split(";")).map(String::strip)
        .collect(Collectors.toMap(d -> d.split(" ", 2)[0], d -> d.split(" ", 2)[1]));
  }

  @Test
  void anAppPageTalksOnlyToItsOwnOriginAndOnlyPublishedSitesRefuseFraming() {
    Map<String, String> preview = directives(AppPagePolicy.preview()); // a repeated directive would throw here
    assertThat(preview).containsEntry("default-src", "'self'").containsEntry("connect-src", "'self'")
        .containsEntry("object-src", "'none'").containsEntry("base-uri", "'self'").containsEntry("form-action", "'self'")
        .doesNotContainKey("frame-ancestors"); // the host's UI frames the preview from its own origin
    Map<String, String> site = directives(AppPagePolicy.publishedSite());
    assertThat(site).containsEntry("frame-ancestors", "'none'");
    site.remove("frame-ancestors");
    assertThat(site).isEqualTo(preview);
  }
}
