package io.chatbuilder.bench;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A minimal connection pool over {@link DriverManager}: what a host would give the JDBC store (it
 * asks for a connection per call), without a pool library. A connection handed back in auto-commit
 * mode is kept for reuse.
 */
final class PooledDataSource implements DataSource, AutoCloseable {
  private static final int MAX_IDLE = 4;

  private final String url;
  private final String user;
  private final String password;
  private final Deque<Connection> idle = new ConcurrentLinkedDeque<>();

  PooledDataSource(String url, String user, String password) {
    this.url = url;
    this.user = user;
    this.password = password;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection pooled = idle.pollFirst();
    Connection real = pooled != null ? pooled : DriverManager.getConnection(url, user, password);
    AtomicBoolean closed = new AtomicBoolean();
    return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          String name = method.getName();
          boolean noArgs = args == null || args.length == 0;
          if (name.equals("close") && noArgs) {
            if (closed.compareAndSet(false, true)) {
              release(real);
            }
            return null;
          }
          if (name.equals("isClosed") && noArgs) {
            return closed.get() || real.isClosed();
          }
          if (name.equals("unwrap") || name.equals("isWrapperFor")) {
            return method.invoke(real, args);
          }
          if (closed.get()) {
            throw new SQLException("connection already handed back to the pool");
          }
          try {
            return method.invoke(real, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private void release(Connection connection) {
    try {
      if (!connection.isClosed() && connection.getAutoCommit() && idle.size() < MAX_IDLE) {
        idle.addFirst(connection);
        return;
      }
    } catch (SQLException e) {
      // broken: drop it
    }
    closeQuietly(connection);
  }

  /** Closes the idle connections (an embedded H2 database then closes and compacts its file). */
  @Override
  public void close() {
    for (Connection c; (c = idle.pollFirst()) != null; ) {
      closeQuietly(c);
    }
  }

  private static void closeQuietly(Connection connection) {
    try {
      connection.close();
    } catch (SQLException e) {
      // nothing to do
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    throw new SQLFeatureNotSupportedException("use getConnection()");
  }

  @Override
  public PrintWriter getLogWriter() {
    return null;
  }

  @Override
  public void setLogWriter(PrintWriter out) {}

  @Override
  public void setLoginTimeout(int seconds) {}

  @Override
  public int getLoginTimeout() {
    return 0;
  }

  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    throw new SQLException("not a wrapper");
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return false;
  }
}
