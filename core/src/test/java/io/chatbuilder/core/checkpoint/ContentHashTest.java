package io.chatbuilder.core.checkpoint;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ContentHashTest {
  @Test
  void oneDigestForWholeAndIncrementalInput() {
    byte[] bytes = "hello".getBytes(StandardCharsets.UTF_8);
    var md = ContentHash.newSha256();
    md.update(bytes, 0, 2);
    md.update(bytes, 2, 3);
    assertThat(ContentHash.hex(md.digest())).isEqualTo(ContentHash.sha256(bytes))
        .isEqualTo("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    assertThat(ContentHash.hex(ContentHash.sha256Bytes("hello"))).isEqualTo(ContentHash.sha256(bytes));
  }
}
