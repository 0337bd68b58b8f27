// The Flyway runner for tests/runners/: Flyway's own Java API (flyway-core and
// flyway-database-postgresql from pom.xml), run as a single-file program:
//   java -cp 'LIB/*' FlywayRun.java JDBC_URL USER LOCATION CONFIG|- COMMAND
// CONFIG is a legacy flyway.conf (flyway.key=value), read the way the Flyway CLI reads it;
// COMMAND is migrate, validate or info. Exit status 1 when Flyway fails or validation finds errors.
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.flywaydb.core.api.output.ValidateResult;
import org.flywaydb.database.postgresql.PostgreSQLConfigurationExtension;

import java.io.FileReader;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

public class FlywayRun {
    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: FlywayRun JDBC_URL USER LOCATION CONFIG|- migrate|validate|info");
            System.exit(2);
        }
        Map<String, String> conf = new HashMap<>();
        if (!args[3].equals("-")) {
            Properties p = new Properties();
            try (FileReader r = new FileReader(args[3])) {
                p.load(r);
            }
            for (String k : p.stringPropertyNames())
                conf.put(k, p.getProperty(k));
        }
        conf.put("flyway.url", args[0]);
        conf.put("flyway.user", args[1]);
        conf.put("flyway.locations", "filesystem:" + args[2]);
        // Without jackson-databind on the class path Flyway's map API refuses the PostgreSQL
        // namespace: that one setting goes through its configuration extension instead.
        String lock = conf.remove("flyway.postgresql.transactional.lock");
        FluentConfiguration fc = Flyway.configure().configuration(conf);
        if (lock != null)
            fc.getConfigurationExtension(PostgreSQLConfigurationExtension.class).setTransactionalLock(Boolean.parseBoolean(lock.trim()));
        Flyway flyway = fc.load();
        try {
            switch (args[4]) {
            case "migrate":
                System.out.println("migrations executed: " + flyway.migrate().migrationsExecuted);
                break;
            case "validate": {
                ValidateResult v = flyway.validateWithResult();
                if (!v.validationSuccessful) {
                    System.out.println("validate failed: " + v.getAllErrorMessages());
                    System.exit(1);
                }
                System.out.println("validate ok");
                break;
            }
            case "info":
                for (MigrationInfo i : flyway.info().all())
                    System.out.println(i.getVersion() + " " + i.getDescription() + " " + i.getState() + " " + i.getChecksum());
                break;
            default:
                System.err.println("unknown command " + args[4]);
                System.exit(2);
            }
        } catch (Exception e) {
            System.out.println("flyway failed: " + e.getMessage());
            System.exit(1);
        }
    }
}
