package io.pgpubsub.hibernate.internal;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.engine.config.spi.ConfigurationService;
import org.hibernate.engine.jdbc.connections.spi.ConnectionProvider;
import org.hibernate.engine.spi.SessionFactoryImplementor;

/**
 * Where a SessionFactory gets its connections, for a listener that should use the same database with the
 * same credentials.
 *
 * <p>Read from the settings Hibernate itself connects with (its {@link ConfigurationService}), not from
 * {@code SessionFactory.getProperties()}: Hibernate masks user and password there as {@code ****}. In the
 * order Hibernate applies them: a configured DataSource (Spring Boot's, or a JNDI-less {@code
 * jakarta.persistence.nonJtaDataSource}), else the JDBC URL with its user and password, else the DataSource
 * behind Hibernate's ConnectionProvider when it has one (HikariCP, Agroal, C3P0 providers).
 */
public record ConnectionSettings(String url, String user, String password, DataSource dataSource) {

  @SuppressWarnings("deprecation")
  public static ConnectionSettings of(SessionFactory sessionFactory) {
    SessionFactoryImplementor sf = sessionFactory.unwrap(SessionFactoryImplementor.class);
    Map<String, Object> p = sf.getServiceRegistry().requireService(ConfigurationService.class).getSettings();
    for (String key :
        new String[] {
          AvailableSettings.JAKARTA_NON_JTA_DATASOURCE, AvailableSettings.DATASOURCE, AvailableSettings.JAKARTA_JTA_DATASOURCE,
          "javax.persistence.nonJtaDataSource", "javax.persistence.jtaDataSource"
        }) {
      if (p.get(key) instanceof DataSource ds) {
        return new ConnectionSettings(null, null, null, ds);
      }
    }
    String url = first(p, AvailableSettings.JAKARTA_JDBC_URL, AvailableSettings.URL, "javax.persistence.jdbc.url");
    String user =
        first(p, AvailableSettings.JAKARTA_JDBC_USER, AvailableSettings.USER, "hibernate.connection.user",
            "javax.persistence.jdbc.user");
    String password =
        first(p, AvailableSettings.JAKARTA_JDBC_PASSWORD, AvailableSettings.PASS, "javax.persistence.jdbc.password");
    if (url != null && url.startsWith("jdbc:postgresql:")) {
      return new ConnectionSettings(url, user, password, null);
    }
    ConnectionProvider provider = sf.getServiceRegistry().getService(ConnectionProvider.class);
    if (provider != null && provider.isUnwrappableAs(DataSource.class)) {
      return new ConnectionSettings(null, null, null, provider.unwrap(DataSource.class));
    }
    return new ConnectionSettings(null, null, null, null);
  }

  private static String first(Map<String, Object> p, String... keys) {
    for (String k : keys) {
      Object v = p.get(k);
      if (v != null && !v.toString().isBlank()) {
        return v.toString();
      }
    }
    return null;
  }

  /**
   * The channels a listener of this SessionFactory serves by default: the trigger channels whose entities it
   * maps, and every plain channel.
   *
   * @throws IllegalStateException when an entity of the factory is a {@code @TriggerChannel} that no generated
   *     registry declares (the annotation processor did not run)
   */
  public static List<ChannelDefinition> channelsOf(PubSubService service) {
    List<ChannelDefinition> all = Registries.channels();
    String missingProcessor = MissingProcessor.problem(service.factory(), all);
    if (missingProcessor != null) {
      throw new IllegalStateException(missingProcessor);
    }
    List<ChannelDefinition> out = new ArrayList<>();
    for (ChannelDefinition c : all) {
      if (!c.trigger() || service.factory().getMappingMetamodel().isEntityClass(c.payloadType())) {
        out.add(c);
      }
    }
    return out;
  }

  @Override
  public String toString() {
    return "ConnectionSettings[" + (url != null ? url : dataSource) + "]";
  }
}
