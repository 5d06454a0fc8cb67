package io.chatbuilder.examples.studio;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The DNS labels that give each app's published sites an origin of their own. */
class PublishedSitesTest {
  /** A DNS label (RFC 1123): letters, digits and inner dashes, at most 63 characters. */
  private static final String DNS_LABEL = "[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?";

  @Test
  void labelsAreDnsSafeReadableAndKeepAppsApart() {
    List<String> ids = List.of("shop", "Shop", "s-h-o-p", "s_h_o_p", "tenant/shop", "Tenant/Shop", "tenant-shop",
        "-", "____", "ünïcödé", "x".repeat(300), "x".repeat(301), "a/b/c/" + "y".repeat(120), "xn--shop");
    Set<String> labels = new HashSet<>();
    for (String id : ids) {
      String label = Studio.siteLabel(id);
      assertThat(label).as(id).matches(DNS_LABEL).hasSizeLessThanOrEqualTo(51);
      assertThat(label).as("stable").isEqualTo(Studio.siteLabel(id));
      labels.add(label);
    }
    assertThat(labels).as("one label per app id").hasSize(ids.size());
    assertThat(Studio.siteLabel("Tenant/Shop")).matches("[0-9a-f]{10}-tenant-shop");
    assertThat(Studio.siteLabel("____")).matches("[0-9a-f]{10}");
    // A label never starts with the "xn--" of internationalized names: the hash comes first.
    assertThat(Studio.siteLabel("xn--shop")).doesNotStartWith("xn--");
  }
}
