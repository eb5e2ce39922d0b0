// Connects to each service CI tests against; exits 1 naming any that does not answer.
const { Sequelize } = require('sequelize');
const { createClient } = require('redis');

const databases = {
  PostgreSQL: process.env.VISITOR_PASS_TEST_POSTGRES_URL,
  MariaDB: process.env.VISITOR_PASS_TEST_MYSQL_URL,
};
const redisUrl = process.env.VISITOR_PASS_TEST_REDIS_URL;
const hidePassword = (url) => String(url).replace(/\/\/[^@]*@/, '//');

async function checkDatabase(name, url) {
  const sequelize = new Sequelize(url, { logging: false, dialectOptions: { connectTimeout: 5000 } });
  try {
    await sequelize.authenticate();
    console.log(`${name}: reachable`);
    return true;
  } catch (error) {
    console.error(`${name}: NOT reachable at ${hidePassword(url)}: ${error.message}`);
    return false;
  } finally {
    await sequelize.close();
  }
}

async function checkRedis(url) {
  const client = createClient({ url, socket: { connectTimeout: 5000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.ping();
    console.log('Redis: reachable');
    return true;
  } catch (error) {
    console.error(`Redis: NOT reachable at ${hidePassword(url)}: ${error.message}`);
    return false;
  } finally {
    if (client.isOpen) await client.close();
  }
}

(async () => {
  const results = [];
  for (const [name, url] of Object.entries(databases)) results.push(await checkDatabase(name, url));
  results.push(await checkRedis(redisUrl));
  process.exit(results.every(Boolean) ? 0 : 1);
})();
