package io.pgpubsub.hibernate;

import io.pgpubsub.testing.TestDatabase;
import java.util.Map;
import org.hibernate.SessionFactory;
import org.hibernate.boot.model.naming.CamelCaseToUnderscoresNamingStrategy;
import org.hibernate.cfg.AvailableSettings;
import org.hibernate.cfg.Configuration;

/** Builds SessionFactories on a test database. */
public final class TestHibernate {

  private TestHibernate() {}

  public static Configuration configuration(TestDatabase db, Class<?>... entities) {
    Configuration cfg = new Configuration();
    for (Class<?> c : entities) {
      cfg.addAnnotatedClass(c);
    }
    cfg.setProperty(AvailableSettings.JAKARTA_JDBC_URL, db.jdbcUrl());
    if (db.user() != null) {
      cfg.setProperty(AvailableSettings.JAKARTA_JDBC_USER, db.user());
    }
    if (db.password() != null) {
      cfg.setProperty(AvailableSettings.JAKARTA_JDBC_PASSWORD, db.password());
    }
    cfg.setProperty(AvailableSettings.HBM2DDL_AUTO, "create");
    cfg.setProperty(AvailableSettings.POOL_SIZE, "4");
    cfg.setProperty(AvailableSettings.PHYSICAL_NAMING_STRATEGY, CamelCaseToUnderscoresNamingStrategy.class.getName());
    return cfg;
  }

  public static SessionFactory build(TestDatabase db, Map<String, String> settings, Class<?>... entities) {
    Configuration cfg = configuration(db, entities);
    settings.forEach(cfg::setProperty);
    return cfg.buildSessionFactory();
  }
}
