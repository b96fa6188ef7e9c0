package io.pgpubsub.processor.internal;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import javax.lang.model.SourceVersion;

/**
 * The processor options ({@code -Akey=value}), validated once.
 *
 * @param registry the generated registry's qualified name, or null for the default (common package of the
 *     annotated types + {@code .PgPubSubChannels})
 * @param schema the schema of the notification table and of the generated trigger functions
 * @param naming how logical names (attribute names, {@code @Column(name)}) become database names: the
 *     option's value, or (option absent or {@code auto}) snake_case when Spring Boot's Hibernate JPA
 *     auto-configuration is on the compile class path, verbatim otherwise
 * @param globallyQuoted mirrors Hibernate's {@code hibernate.globally_quoted_identifiers}: names keep their case
 * @param installScript class path of the combined install script
 */
public record Options(
    String registry, String schema, Naming naming, boolean globallyQuoted, String installScript) {

  public static final String REGISTRY = "pgpubsub.registry";
  public static final String SCHEMA = "pgpubsub.schema";
  public static final String NAMING = "pgpubsub.naming";
  public static final String GLOBALLY_QUOTED = "pgpubsub.globallyQuotedIdentifiers";
  public static final String INSTALL_SCRIPT = "pgpubsub.installScript";

  public static final Set<String> ALL = Set.of(REGISTRY, SCHEMA, NAMING, GLOBALLY_QUOTED, INSTALL_SCRIPT);

  /**
   * Spring Boot's Hibernate JPA auto-configuration (Boot 4, then Boot 3), looked up by name on the compile
   * class path: where it is, Spring Boot sets {@code CamelCaseToUnderscoresNamingStrategy} by default.
   */
  public static final List<String> SPRING_BOOT_JPA_AUTO_CONFIGURATION =
      List.of(
          "org.springframework.boot.hibernate.autoconfigure.HibernateJpaAutoConfiguration",
          "org.springframework.boot.autoconfigure.orm.jpa.HibernateJpaAutoConfiguration");

  public static final String DEFAULT_REGISTRY_SIMPLE_NAME = "PgPubSubChannels";
  public static final String DEFAULT_INSTALL_SCRIPT = "META-INF/pgpubsub.sql";
  public static final String CHANNEL_SCRIPT_FOLDER = "META-INF/pgpubsub/";


  /** Text the generated DDL uses itself (dollar-quote tag, version placeholder): no name may hold it. */
  static final List<String> RESERVED_TEXT = List.of("$pgpubsub$", "@@pgpubsub-ddl-version@@");

  private static final Pattern RESOURCE = Pattern.compile("[A-Za-z0-9_.\\-]+(/[A-Za-z0-9_.\\-]+)*\\.sql");

  /** Naming strategies, as Hibernate's physical naming strategies would apply them. */
  public enum Naming {
    /** Hibernate's default (PhysicalNamingStrategyStandardImpl): names as written. */
    VERBATIM("verbatim"),
    /** Spring Boot's default (CamelCaseToUnderscoresNamingStrategy): camelCase becomes camel_case. */
    SNAKE_CASE("snake_case");

    private final String option;

    Naming(String option) {
      this.option = option;
    }

    public String option() {
      return option;
    }
  }

  /**
   * @param onClassPath whether a qualified class name resolves on the compile class path (for the {@code
   *     auto} naming)
   */
  public static Options parse(Map<String, String> raw, Reporter reporter, Predicate<String> onClassPath) {
    String registry = raw.get(REGISTRY);
    if (registry != null && !isQualifiedClassName(registry)) {
      reporter.report(
          (Where) null,
          Message.BAD_OPTION,
          REGISTRY,
          registry,
          "give a qualified class name in a package, e.g. com.example.PgPubSubChannels");
      registry = null;
    }
    String schema = raw.getOrDefault(SCHEMA, "public");
    // any name PostgreSQL accepts (as core's io.pgpubsub.internal.SchemaNames.validate); it is quoted in SQL
    // where it needs quotes (SqlNames.schema)
    String badSchema =
        schema.isEmpty()
            ? "it is empty"
            : schema.indexOf('\0') >= 0
                ? "it contains a NUL character, which PostgreSQL does not allow in names"
                : SqlNames.byteLength(schema) > SqlNames.MAX_IDENTIFIER_BYTES
                    ? "it is " + SqlNames.byteLength(schema) + " bytes long in UTF-8 (PostgreSQL names have at most "
                        + SqlNames.MAX_IDENTIFIER_BYTES + ")"
                    : RESERVED_TEXT.stream().anyMatch(schema::contains)
                        ? "it contains " + RESERVED_TEXT.stream().filter(schema::contains).findFirst().get()
                            + ", which the generated DDL uses itself"
                        : null;
    if (badSchema != null) {
      reporter.report(
          (Where) null,
          Message.BAD_OPTION,
          SCHEMA,
          SqlNames.commentSafe(schema),
          badSchema + "; give the schema's name as PostgreSQL stores it, as for Listener.builder().schema(...)");
      schema = "public";
    }
    String namingRaw = raw.get(NAMING);
    Naming naming;
    if (namingRaw == null || namingRaw.equals("auto")) {
      naming =
          SPRING_BOOT_JPA_AUTO_CONFIGURATION.stream().anyMatch(onClassPath)
              ? Naming.SNAKE_CASE
              : Naming.VERBATIM;
    } else {
      naming = null;
      for (Naming n : Naming.values()) {
        if (n.option.equals(namingRaw)) {
          naming = n;
        }
      }
      if (naming == null) {
        reporter.report(
            (Where) null,
            Message.BAD_OPTION,
            NAMING,
            namingRaw,
            "use auto (the default: snake_case with Spring Boot's JPA auto-configuration on the class path,"
                + " else verbatim), verbatim or snake_case");
        naming = Naming.VERBATIM;
      }
    }
    String quotedRaw = raw.getOrDefault(GLOBALLY_QUOTED, "false");
    if (!quotedRaw.equals("true") && !quotedRaw.equals("false")) {
      reporter.report((Where) null, Message.BAD_OPTION, GLOBALLY_QUOTED, quotedRaw, "use true or false");
      quotedRaw = "false";
    }
    String install = raw.getOrDefault(INSTALL_SCRIPT, DEFAULT_INSTALL_SCRIPT);
    if (!RESOURCE.matcher(install).matches() || install.startsWith(CHANNEL_SCRIPT_FOLDER)) {
      reporter.report(
          (Where) null,
          Message.BAD_OPTION,
          INSTALL_SCRIPT,
          install,
          "give a class path resource ending in .sql, outside " + CHANNEL_SCRIPT_FOLDER + ", e.g. db/pgpubsub.sql");
      install = DEFAULT_INSTALL_SCRIPT;
    }
    return new Options(registry, schema, naming, Boolean.parseBoolean(quotedRaw), install);
  }

  private static boolean isQualifiedClassName(String name) {
    int dot = name.lastIndexOf('.');
    if (dot <= 0) {
      return false;
    }
    for (String part : name.split("\\.", -1)) {
      if (!SourceVersion.isIdentifier(part) || SourceVersion.isKeyword(part)) {
        return false;
      }
    }
    return true;
  }
}
