package io.pgpubsub.spring.app;

import io.pgpubsub.DrainResult;
import io.pgpubsub.spring.PubSubListenerLifecycle;
import java.time.Duration;
import java.util.Arrays;
import java.util.TreeSet;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * What a user's application does, run inside a class loader that lacks an optional library ({@code
 * ClassPathWithout}): boot {@link ParcelApp}, write a row, let the listener process it, stop. Returns what
 * happened as text, since the caller lives in another class loader.
 */
public final class IsolatedBoot {

  private IsolatedBoot() {}

  public static String run(String[] args) {
    Thread.currentThread().setContextClassLoader(IsolatedBoot.class.getClassLoader());
    try (ConfigurableApplicationContext context = SpringApplication.run(ParcelApp.class, args)) {
      JdbcTemplate jdbc = context.getBean(JdbcTemplate.class);
      jdbc.update("INSERT INTO parcel (id, label) VALUES (1, 'first')");
      DrainResult drained =
          context.getBean(PubSubListenerLifecycle.class).listener().drain(Duration.ofSeconds(30));
      TreeSet<String> beans = new TreeSet<>();
      for (String name : context.getBeanDefinitionNames()) {
        if (name.toLowerCase().contains("pgpubsub") || name.equals("pubSubContext")) {
          beans.add(name);
        }
      }
      beans.addAll(Arrays.asList(context.getBeanNamesForType(
          org.springframework.boot.hibernate.autoconfigure.HibernatePropertiesCustomizer.class)));
      return "processed=" + drained.processed()
          + " received=" + context.getBean(Received.class).labels
          + " beans=" + beans;
    }
  }
}
