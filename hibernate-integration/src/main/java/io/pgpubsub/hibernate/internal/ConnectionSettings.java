package io.pgpubsub.hibernate.internal;

import io.pgpubsub.spi.ChannelDefinition;
import io.pgpubsub.spi.Registries;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.hibernate.SessionFactory;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.engine.jdbc.connections.spi.ConnectionProvider;
import org.hibernate.engine.spi.SessionFactoryImplementor;

/** Where a SessionFactory gets its connections, for a listener that should use the same database. */
public record ConnectionSettings(String url, String user, String password, DataSource dataSource) {

  @SuppressWarnings("deprecation")
  public static ConnectionSettings of(SessionFactory sessionFactory) {
    SessionFactoryImplementor sf = sessionFactory.unwrap(SessionFactoryImplementor.class);
    Map<String, Object> p = sf.getProperties();
    String url = first(p, AvailableSettings.JAKARTA_JDBC_URL, AvailableSettings.URL, "javax.persistence.jdbc.url");
    String user =
        first(p, AvailableSettings.JAKARTA_JDBC_USER, AvailableSettings.USER, "hibernate.connection.user",
            "javax.persistence.jdbc.user");
    String password =
        first(p, AvailableSettings.JAKARTA_JDBC_PASSWORD, AvailableSettings.PASS, "javax.persistence.jdbc.password");
    DataSource dataSource = null;
    for (String key :
        new String[] {
          AvailableSettings.JAKARTA_NON_JTA_DATASOURCE, AvailableSettings.DATASOURCE, AvailableSettings.JAKARTA_JTA_DATASOURCE
        }) {
      if (p.get(key) instanceof DataSource ds) {
        dataSource = ds;
        break;
      }
    }
    if (dataSource == null && url == null) {
      ConnectionProvider provider = sf.getServiceRegistry().getService(ConnectionProvider.class);
      if (provider != null && provider.isUnwrappableAs(DataSource.class)) {
        dataSource = provider.unwrap(DataSource.class);
      }
    }
    if (url != null && !url.startsWith("jdbc:postgresql:")) {
      url = null;
    }
    return new ConnectionSettings(url, user, password, dataSource);
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
