package io.pgpubsub.spring;

import io.pgpubsub.web.ConnectAuthorizer;
import io.pgpubsub.web.EventVisibility;
import io.pgpubsub.web.PrincipalResolver;
import io.pgpubsub.web.PushEndpoint;
import io.pgpubsub.web.PushServlet;
import io.pgpubsub.web.WebChannel;
import java.util.List;
import javax.sql.DataSource;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * Live in the browser: mounts pgpubsub-web's Server-Sent Events endpoint under {@code pgpubsub.web.path} in a servlet
 * web application that declares {@link WebChannel} beans (each one a channel and the projection browsers may see;
 * without one nothing is exposed and no endpoint is mounted). Optional beans: a {@link ConnectAuthorizer}, an
 * {@link EventVisibility}{@code <Object>} for every channel, a {@link PrincipalResolver}. The default principal is
 * {@code request.getUserPrincipal()}, which Spring Security fills (its servlet API integration) when the
 * application has it; anonymous users are null there and get 401 unless {@code
 * pgpubsub.web.require-authentication=false}.
 */
@AutoConfiguration(after = PgPubSubAutoConfiguration.class)
@ConditionalOnClass({PushServlet.class, ServletRegistrationBean.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBooleanProperty(name = "pgpubsub.web.enabled", matchIfMissing = true)
@ConditionalOnBean({DataSource.class, WebChannel.class})
@EnableConfigurationProperties(PgPubSubProperties.class)
public class PgPubSubWebAutoConfiguration {

  /** After the database initializers (Flyway, Liquibase): its stream readers need the stream tables. */
  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  @DependsOnDatabaseInitialization
  PushEndpoint pgpubsubPushEndpoint(
      DataSource dataSource,
      PgPubSubProperties properties,
      List<WebChannel<?>> channels,
      ObjectProvider<ConnectAuthorizer> authorizer,
      ObjectProvider<EventVisibility<Object>> visibility,
      ObjectProvider<PrincipalResolver> principal) {
    PgPubSubProperties.Web web = properties.getWeb();
    PushEndpoint.Builder b =
        PushEndpoint.builder(dataSource)
            .requireAuthentication(web.isRequireAuthentication())
            .maxConnections(web.getMaxConnections())
            .bufferEvents(web.getBufferEvents())
            .heartbeat(web.getHeartbeat())
            .stallTimeout(web.getStallTimeout())
            .retryAfter(web.getRetryAfter())
            .reconnectDelay(web.getReconnectDelay())
            .deliveryThreads(web.getDeliveryThreads());
    if (properties.getSchema() != null) {
      b.schema(properties.getSchema());
    }
    channels.forEach(b::channel);
    authorizer.ifAvailable(b::authorize);
    visibility.ifAvailable(b::visibleTo);
    principal.ifAvailable(b::principal);
    return b.build();
  }

  @Bean
  @ConditionalOnMissingBean(name = "pgpubsubPush")
  ServletRegistrationBean<PushServlet> pgpubsubPush(PushEndpoint endpoint, PgPubSubProperties properties) {
    String path = properties.getWeb().getPath().replaceAll("/+$", ""); // checked when bound
    ServletRegistrationBean<PushServlet> bean = new ServletRegistrationBean<>(new PushServlet(endpoint), path);
    bean.setName("pgpubsubPush");
    bean.setAsyncSupported(true);
    return bean;
  }
}
