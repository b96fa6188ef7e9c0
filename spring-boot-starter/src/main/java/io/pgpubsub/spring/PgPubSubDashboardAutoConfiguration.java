package io.pgpubsub.spring;

import io.pgpubsub.dashboard.Dashboard;
import io.pgpubsub.dashboard.DashboardServlet;
import javax.sql.DataSource;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * Mounts the operations dashboard ({@code pgpubsub-dashboard}) in a servlet web application under {@code
 * pgpubsub.dashboard.path}. Off unless {@code pgpubsub.dashboard.enabled=true}: the page shows notification
 * payloads, so, like Boot's H2 console, it is never exposed just because a jar is on the class path. Writes
 * (retry, purge) need {@code pgpubsub.dashboard.token}; without one the page is read-only. Guard the path with
 * Spring Security as well when the application has it (see the README's Dashboard section).
 */
@AutoConfiguration(after = PgPubSubAutoConfiguration.class)
@ConditionalOnClass({DashboardServlet.class, ServletRegistrationBean.class})
@ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
@ConditionalOnBooleanProperty(name = "pgpubsub.dashboard.enabled")
@ConditionalOnBean(DataSource.class)
@EnableConfigurationProperties(PgPubSubProperties.class)
public class PgPubSubDashboardAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean(name = "pgpubsubDashboard")
  ServletRegistrationBean<DashboardServlet> pgpubsubDashboard(
      DataSource dataSource, PgPubSubProperties properties) {
    PgPubSubProperties.Dashboard options = properties.getDashboard();
    Dashboard.Builder dashboard = Dashboard.builder(dataSource).readOnly(options.isReadOnly());
    if (properties.getSchema() != null) {
      dashboard.schema(properties.getSchema());
    }
    if (options.getReadToken() != null && !options.getReadToken().isBlank()) {
      dashboard.readToken(options.getReadToken());
    }
    if (!options.getAllowedHosts().isEmpty()) {
      dashboard.allowedHosts(options.getAllowedHosts());
    }
    if (options.getLagThreshold() != null) {
      dashboard.lagThreshold(options.getLagThreshold());
    }
    if (options.getHistoryInterval() != null) {
      dashboard.historyInterval(options.getHistoryInterval());
    }
    if (options.getHistoryRetention() != null) {
      dashboard.historyRetention(options.getHistoryRetention());
    }
    if (options.getToken() != null && !options.getToken().isBlank()) {
      dashboard.token(options.getToken());
    } else {
      dashboard.readOnly(true);
    }
    String path = options.getPath().replaceAll("/+$", ""); // checked when bound (PgPubSubProperties.validate)
    ServletRegistrationBean<DashboardServlet> bean =
        new ServletRegistrationBean<>(new DashboardServlet(dashboard.build()), path + "/*");
    bean.setName("pgpubsubDashboard");
    return bean;
  }
}
