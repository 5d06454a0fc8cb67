package io.chatbuilder.examples.springhost;

import java.io.IOException;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/** The sample host on Boot's embedded H2 (no datasource configured). */
@SpringBootTest(classes = {SpringHostApplication.class, SpringHostAccessContract.ScriptedModelConfiguration.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SpringHostH2Test extends SpringHostAccessContract {
  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) throws IOException {
    commonProperties(registry);
  }
}
