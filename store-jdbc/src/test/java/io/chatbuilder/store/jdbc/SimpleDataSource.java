package io.chatbuilder.store.jdbc;

import java.io.PrintWriter;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.Deque;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.UnaryOperator;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A DataSource over DriverManager with a tiny idle pool (so tests do not pay a connection per call
 * on PostgreSQL and MariaDB): a connection handed back is reused if it is still valid and was left
 * in auto-commit mode and not closed (a connection the server killed is not handed back).
 */
final class SimpleDataSource implements DataSource {
  private static final int MAX_IDLE = 8;

  private final String url;
  private final String user;
  private final String password;
  private final Deque<Connection> idle;
  private final UnaryOperator<Connection> decorator;

  SimpleDataSource(String url, String user, String password) {
    this(url, user, password, new ConcurrentLinkedDeque<>(), UnaryOperator.identity());
  }

  private SimpleDataSource(String url, String user, String password, Deque<Connection> idle,
      UnaryOperator<Connection> decorator) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.idle = idle;
    this.decorator = decorator;
  }

  /** This pool, its connections passed through {@code decorator} as they are handed out (to inject faults). */
  SimpleDataSource decorated(UnaryOperator<Connection> decorator) {
    return new SimpleDataSource(url, user, password, idle, decorator);
  }

  String url() {
    return url;
  }

  @Override
  public Connection getConnection() throws SQLException {
    Connection real = idle.pollFirst();
    if (real == null) {
      real = DriverManager.getConnection(url, user, password);
    }
    Connection connection = real;
    AtomicBoolean closed = new AtomicBoolean();
    return decorator.apply((Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
        (proxy, method, args) -> {
          if (method.getName().equals("close") && (args == null || args.length == 0)) {
            if (closed.compareAndSet(false, true)) {
              release(connection);
            }
            return null;
          }
          if (method.getName().equals("isClosed") && (args == null || args.length == 0)) {
            return closed.get() || connection.isClosed();
          }
          if (closed.get()) {
            throw new SQLException("connection handed back to the pool");
          }
          try {
            return method.invoke(connection, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        }));
  }

  /** The real connection under a handed-out one (for tests that kill backends). */
  private void release(Connection connection) {
    try {
      if (!connection.isClosed() && connection.getAutoCommit() && idle.size() < MAX_IDLE) {
        idle.addFirst(connection);
        return;
      }
    } catch (SQLException e) {
      // broken: drop it
    }
    try {
      connection.close();
    } catch (SQLException e) {
      // already gone
    }
  }

  /** Closes the idle connections. */
  void closeIdle() {
    Connection c;
    while ((c = idle.pollFirst()) != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // already gone
      }
    }
  }

  @Override
  public Connection getConnection(String username, String password) throws SQLException {
    return DriverManager.getConnection(url, username, password);
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
