package io.chatbuilder.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.chatbuilder.core.InvalidArgumentException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonCodecTest {
  private final JsonCodec json = new JsonCodec();

  @Test
  void readAcceptsExactlyOneValue() {
    assertThat(json.read(" {\"a\":1}\n").path("a").asInt()).isEqualTo(1);
    assertThat(json.read("{\"a\":1}".getBytes(StandardCharsets.UTF_8)).path("a").asInt()).isEqualTo(1);
    for (String bad : List.of("", "   ", "{\"a\":1} trailing", "{\"a\":1}{\"b\":2}", "{\"a\":", "[1,]", "nul")) {
      assertThatThrownBy(() -> json.read(bad)).as(bad).isInstanceOf(InvalidArgumentException.class);
      assertThat(json.tryRead(bad)).as(bad).isEmpty();
    }
  }

  @Test
  void printsCompactPrettyAndBytesAlike() {
    JsonNode node = json.objectNode().put("b", "x").set("a", json.arrayNode().add(1).add(true));
    assertThat(json.write(node)).isEqualTo("{\"b\":\"x\",\"a\":[1,true]}");
    assertThat(new String(json.writeBytes(node), StandardCharsets.UTF_8)).isEqualTo(json.write(node));
    assertThat(json.read(json.writePretty(node))).isEqualTo(node);
    assertThat(json.writePretty(node)).contains("\n");
  }

  @Test
  void convertsToAndFromPlainJava() {
    Map<String, Object> map = json.toJavaMap(json.objectNode().put("n", 2).put("s", "t"));
    assertThat(map).containsEntry("n", 2).containsEntry("s", "t");
    assertThat(json.write(json.fromJava(Map.of("k", List.of(1, 2))))).isEqualTo("{\"k\":[1,2]}");
  }

  @Test
  void countsKeepKeyOrderAndIgnoreNonObjects() {
    assertThat(json.write(json.countsTree(Map.of("z", 1, "a", 2)))).isEqualTo("{\"a\":2,\"z\":1}");
    assertThat(json.countsFrom(json.read("[1]"))).isEmpty();
  }
}
