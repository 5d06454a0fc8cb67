package io.chatbuilder.bench;

import java.util.Locale;

/** The checkpoint stores every checkpoint scenario runs on. */
enum StoreKind {
  MEMORY("memory"),
  H2("h2"),
  POSTGRESQL("postgresql"),
  MARIADB("mariadb"),
  GIT("git");

  private final String label;

  StoreKind(String label) {
    this.label = label;
  }

  String label() {
    return label;
  }

  static StoreKind parse(String s) {
    for (StoreKind k : values()) {
      if (k.label.equals(s.toLowerCase(Locale.ROOT)) || k.name().equalsIgnoreCase(s)) {
        return k;
      }
    }
    if (s.equalsIgnoreCase("postgres") || s.equalsIgnoreCase("pg")) {
      return POSTGRESQL;
    }
    throw new IllegalArgumentException("unknown store '" + s + "': use memory, h2, postgresql, mariadb or git");
  }
}
