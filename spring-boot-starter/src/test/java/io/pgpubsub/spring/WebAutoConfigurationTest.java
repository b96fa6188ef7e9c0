package io.pgpubsub.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgpubsub.Streams;
import io.pgpubsub.testing.PostgresServer;
import io.pgpubsub.testing.TestDatabase;
import io.pgpubsub.web.PushEndpoint;
import io.pgpubsub.web.WebChannel;
import java.sql.Connection;
import javax.sql.DataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.web.servlet.ServletRegistrationBean;

/** {@link PgPubSubWebAutoConfiguration}: one test per condition, and the properties' defaults. */
class WebAutoConfigurationTest {

  static TestDatabase db;

  @BeforeAll
  static void install() throws Exception {
    db = PostgresServer.get().createDatabase("starter_web");
    try (Connection c = db.connect()) {
      Streams.create("public").install(c);
    }
  }

  @AfterAll
  static void drop() {
    db.close();
  }

  private final WebApplicationContextRunner web =
      new WebApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(PgPubSubWebAutoConfiguration.class))
          .withBean(DataSource.class, () -> db.dataSource());

  private static WebChannel<?> orders() {
    return WebChannel.rows("orders").project(WebChannel.columns("id", "status"));
  }

  @Test
  void withoutAWebChannelNothingIsExposed() {
    web.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).doesNotHaveBean(PushEndpoint.class).doesNotHaveBean("pgpubsubPush");
    });
  }

  @Test
  void aWebChannelBeanMountsTheEndpointUnderItsPathWithItsLimits() {
    web.withBean("ordersChannel", WebChannel.class, PushEndpointHolder::orders)
        .withPropertyValues("pgpubsub.web.path=/live/events/", "pgpubsub.web.max-connections=7")
        .run(context -> {
          assertThat(context).hasNotFailed();
          PushEndpoint endpoint = context.getBean(PushEndpoint.class);
          assertThat(endpoint.channels()).containsExactly("orders");
          ServletRegistrationBean<?> bean = context.getBean("pgpubsubPush", ServletRegistrationBean.class);
          assertThat(bean.getUrlMappings()).containsExactly("/live/events");
          assertThat(bean.isAsyncSupported()).isTrue();
        });
  }

  @Test
  void offWhenDisabled() {
    web.withBean("ordersChannel", WebChannel.class, PushEndpointHolder::orders)
        .withPropertyValues("pgpubsub.web.enabled=false")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(PushEndpoint.class));
  }

  @Test
  void withoutThePgpubsubWebJarTheApplicationStartsWithoutIt() {
    web.withClassLoader(new FilteredClassLoader("io.pgpubsub.web"))
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean("pgpubsubPush"));
  }

  @Test
  void aReactiveApplicationGetsNoServletEndpoint() {
    new ReactiveWebApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(PgPubSubWebAutoConfiguration.class))
        .withBean(DataSource.class, () -> db.dataSource())
        .withBean("ordersChannel", WebChannel.class, PushEndpointHolder::orders)
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(PushEndpoint.class));
  }

  @Test
  void aPathThatIsNoPathFailsNamingTheProperty() {
    web.withBean("ordersChannel", WebChannel.class, PushEndpointHolder::orders)
        .withPropertyValues("pgpubsub.web.path=events", "pgpubsub.web.buffer-events=0")
        .run(context -> {
          assertThat(context).hasFailed();
          StringBuilder sb = new StringBuilder();
          for (Throwable t = context.getStartupFailure(); t != null; t = t.getCause()) {
            sb.append(t.getMessage()).append('\n');
          }
          assertThat(sb.toString()).contains("web.path").contains("must be a path").contains("web.buffer-events");
        });
  }

  @Test
  void thePropertiesDefaultsAreTheEndpointsConstants() {
    PgPubSubProperties.Web w = new PgPubSubProperties().getWeb();
    assertThat(w.getMaxConnections()).isEqualTo(PushEndpoint.DEFAULT_MAX_CONNECTIONS);
    assertThat(w.getBufferEvents()).isEqualTo(PushEndpoint.DEFAULT_BUFFER_EVENTS);
    assertThat(w.getHeartbeat()).isEqualTo(PushEndpoint.DEFAULT_HEARTBEAT);
    assertThat(w.getStallTimeout()).isEqualTo(PushEndpoint.DEFAULT_STALL_TIMEOUT);
    assertThat(w.getRetryAfter()).isEqualTo(PushEndpoint.DEFAULT_RETRY_AFTER);
    assertThat(w.getReconnectDelay()).isEqualTo(PushEndpoint.DEFAULT_RECONNECT_DELAY);
    assertThat(w.isRequireAuthentication()).isTrue();
  }

  /** A static factory, so the bean's supplier names no generic type. */
  static final class PushEndpointHolder {
    static WebChannel<?> orders() {
      return WebAutoConfigurationTest.orders();
    }
  }
}
