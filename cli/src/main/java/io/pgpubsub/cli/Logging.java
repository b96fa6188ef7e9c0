package io.pgpubsub.cli;

/**
 * The command's logging: the distribution ships slf4j-simple, configured here through its system properties
 * before the first logger exists; Hibernate's JBoss Logging is sent to SLF4J too, so that one level governs
 * pgpubsub, Hibernate and HikariCP alike.
 */
final class Logging {

  private Logging() {}

  /** Routes JBoss Logging (Hibernate) to SLF4J; call before Hibernate's classes load. */
  static void routeToSlf4j() {
    if (System.getProperty("org.jboss.logging.provider") == null) {
      System.setProperty("org.jboss.logging.provider", "slf4j");
    }
  }

  /** Sets every logger's level (slf4j-simple reads it when the first logger is created). */
  static void configure(String level) {
    routeToSlf4j();
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", level);
    setIfAbsent("org.slf4j.simpleLogger.showDateTime", "true");
    setIfAbsent("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
    setIfAbsent("org.slf4j.simpleLogger.levelInBrackets", "true");
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }
}
