// Connects to each database CI tests against; exits 1 naming any that does not answer.
const { Sequelize } = require('sequelize');

const targets = {
  PostgreSQL: process.env.VISITOR_PASS_TEST_POSTGRES_URL,
  MariaDB: process.env.VISITOR_PASS_TEST_MYSQL_URL,
};

(async () => {
  let failed = false;
  for (const [name, url] of Object.entries(targets)) {
    const sequelize = new Sequelize(url, { logging: false, dialectOptions: { connectTimeout: 5000 } });
    try {
      await sequelize.authenticate();
      console.log(`${name}: reachable`);
    } catch (error) {
      failed = true;
      console.error(`${name}: NOT reachable at ${url.replace(/\/\/[^@]*@/, '//')}: ${error.message}`);
    } finally {
      await sequelize.close();
    }
  }
  process.exit(failed ? 1 : 0);
})();
