package io.pgpubsub.spring;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;
import java.util.zip.CRC32;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * The generated install script ({@code META-INF/pgpubsub.sql}: the notification table and every channel's
 * trigger, idempotent) as the repeatable Flyway migration {@code R__pgpubsub}. Flyway runs repeatable
 * migrations after the versioned ones (so the application's tables exist) and runs this one again whenever its
 * checksum changes, which is whenever a build changes a trigger. Boot's Flyway auto-configuration picks up
 * {@link JavaMigration} beans; the starter registers this one when Flyway is configured
 * ({@code pgpubsub.flyway.enabled=false} switches it off).
 */
public class PgPubSubFlywayMigration implements JavaMigration {

  private final String script;
  private final int checksum;

  public PgPubSubFlywayMigration(String resource, ClassLoader classLoader) {
    this.script = read(resource, classLoader);
    CRC32 crc = new CRC32();
    crc.update(script.getBytes(StandardCharsets.UTF_8));
    this.checksum = (int) crc.getValue();
  }

  /** Every copy of {@code resource} on the class path, in a stable order. */
  private static String read(String resource, ClassLoader classLoader) {
    try {
      List<URL> urls = new ArrayList<>(Collections.list(classLoader.getResources(resource)));
      if (urls.isEmpty()) {
        throw new IllegalStateException(
            "pgpubsub: no " + resource + " on the class path (is pgpubsub-processor in annotationProcessorPaths?)");
      }
      urls.sort((a, b) -> a.toString().compareTo(b.toString()));
      StringBuilder sb = new StringBuilder();
      for (URL url : urls) {
        try (InputStream in = url.openStream()) {
          sb.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
        }
      }
      return sb.toString();
    } catch (IOException e) {
      throw new IllegalStateException("pgpubsub: cannot read " + resource + ": " + e.getMessage(), e);
    }
  }

  /** The script this migration runs. */
  public String script() {
    return script;
  }

  @Override
  public MigrationVersion getVersion() {
    return null; // repeatable
  }

  @Override
  public String getDescription() {
    return "pgpubsub";
  }

  @Override
  public Integer getChecksum() {
    return checksum;
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }

  @Override
  public void migrate(Context context) throws Exception {
    try (Statement s = context.getConnection().createStatement()) {
      s.execute(script);
    }
  }
}
