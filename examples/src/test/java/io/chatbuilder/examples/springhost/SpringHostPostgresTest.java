package io.chatbuilder.examples.springhost;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The sample host with PostgreSQL on 127.0.0.1:5432 (database test, user postgres) as its
 * {@code DataSource}. Skipped with a message when it is unreachable, except under {@code CI=true},
 * where it fails.
 */
@SpringBootTest(classes = {SpringHostApplication.class, SpringHostAccessContract.ScriptedModelConfiguration.class},
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class SpringHostPostgresTest extends SpringHostAccessContract {
  private static final String URL = "jdbc:postgresql://127.0.0.1:5432/test";
  /** Tables no other run uses, dropped afterwards. */
  private static final String PREFIX = "sh" + UUID.randomUUID().toString().replace("-", "").substring(0, 10) + "_";

  @BeforeAll
  static void postgresIsReachable() {
    try (Connection c = DriverManager.getConnection(URL + "?connectTimeout=3", "postgres", "")) {
      c.isValid(3);
    } catch (SQLException e) {
      String message = "PostgreSQL is not reachable (" + e.getMessage() + "); this test needs PostgreSQL on "
          + "127.0.0.1:5432 (database test, user postgres, trust auth). See DEVELOPERS.md.";
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        fail("CI=true: " + message, e);
      }
      Assumptions.abort("skipped: " + message);
    }
  }

  @DynamicPropertySource
  static void properties(DynamicPropertyRegistry registry) throws IOException {
    commonProperties(registry);
    registry.add("spring.datasource.url", () -> URL);
    registry.add("spring.datasource.username", () -> "postgres");
    registry.add("spring.datasource.password", () -> "");
    registry.add("chatbuilder.store.table-prefix", () -> PREFIX);
  }

  @AfterAll
  static void dropTables() throws SQLException {
    try (Connection c = DriverManager.getConnection(URL + "?connectTimeout=3", "postgres", "");
        Statement s = c.createStatement()) {
      List<String> tables = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() "
          + "AND table_name LIKE '" + PREFIX + "%'")) {
        while (rs.next()) {
          tables.add(rs.getString(1));
        }
      }
      for (String t : tables) {
        s.execute("DROP TABLE IF EXISTS " + t + " CASCADE");
      }
    } catch (SQLException e) {
      // Unreachable: the test was skipped and made no tables.
    }
  }
}
