package io.pgpubsub.samples.boot;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import org.springframework.beans.factory.support.AbstractBeanDefinition;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.support.GenericApplicationContext;

/**
 * The Spring Boot sample: {@code POST /orders} saves an order through a repository; the order's trigger stores
 * a notification in the same transaction; the pgpubsub listener (started by the starter) runs {@link
 * OrderListeners}, whose invoice and status change commit with the notification's removal.
 *
 * <p>Database: {@code PGPUBSUB_JDBC_URL} or {@code spring.datasource.url} when given, otherwise an embedded
 * PostgreSQL 17 started for the run. {@code --shop.demo=true} places two orders through the REST endpoint,
 * prints what the callbacks did and exits.
 */
@SpringBootApplication
public class ShopApplication {

  public static void main(String[] args) throws IOException {
    EmbeddedPostgres embedded = null;
    String url = System.getenv("PGPUBSUB_JDBC_URL");
    if (url != null && !url.isBlank()) {
      System.setProperty("spring.datasource.url", url);
    } else if (System.getenv("SPRING_DATASOURCE_URL") == null
        && System.getProperty("spring.datasource.url") == null
        && java.util.Arrays.stream(args).noneMatch(a -> a.startsWith("--spring.datasource.url="))) {
      embedded = EmbeddedPostgres.builder().start();
      System.setProperty("spring.datasource.url", embedded.getJdbcUrl("postgres", "postgres"));
      System.setProperty("spring.datasource.username", "postgres");
    }
    EmbeddedPostgres started = embedded;
    SpringApplication app = new SpringApplication(ShopApplication.class);
    if (started != null) {
      // a bean, so that it stops after everything that uses it (the listener, the pool) has stopped
      app.addInitializers(
          context ->
              ((GenericApplicationContext) context)
                  .registerBean(
                      "embeddedPostgres",
                      EmbeddedPostgres.class,
                      () -> started,
                      bd -> bd.setDestroyMethodName(AbstractBeanDefinition.INFER_METHOD)));
    }
    app.run(args);
  }
}
