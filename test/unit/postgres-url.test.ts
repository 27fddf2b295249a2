/** Database URLs as the PostgreSQL store and the cluster bus hand them to the driver, and as messages name them. */
import { describe, expect, it } from "vitest";
import { describeDatabaseUrl, driverTarget } from "../../src/broker/store/postgres/db.js";

describe("PostgreSQL URLs", () => {
  it("passes a plain URL to the driver as it is", () => {
    const url = "postgres://cm:pw@db.example:5433/claudemesh?sslmode=require";
    expect(driverTarget(url)).toEqual({ url, options: {} });
  });

  it("reads libpq's ?host=, ?port=, ?user= and ?password= as the server and login, not as server settings", () => {
    const target = driverTarget(
      "postgres:///claudemesh?host=/var/run/postgresql&port=5433&user=cm&password=p%40ss&application_name=x",
    );
    expect(target.options).toEqual({ host: "/var/run/postgresql", port: 5433, user: "cm", password: "p@ss" });
    expect(target.url).toBe("postgres:///claudemesh?application_name=x");
  });

  it("reads a socket directory percent-encoded as the host", () => {
    const target = driverTarget("postgres://cm@%2Fvar%2Frun%2Fpostgresql:5433/claudemesh");
    expect(target.options).toEqual({ host: "/var/run/postgresql" });
  });

  it("leaves a host with a malformed escape to the driver", () => {
    expect(driverTarget("postgres://cm@%zz/claudemesh")).toEqual({
      url: "postgres://cm@%zz/claudemesh",
      options: {},
    });
  });

  it("refuses a ?port= that is not a port number, naming it", () => {
    for (const port of ["x", "70000", "-1", ""]) {
      expect(() => driverTarget(`postgres:///claudemesh?host=/tmp&port=${port}`)).toThrow(
        `port=${port} in the database URL is not a port number`,
      );
    }
  });

  it("names the server and database in messages, never the user or password", () => {
    expect(describeDatabaseUrl("postgres://cm:s3cret@127.0.0.1:5433/claudemesh")).toBe(
      "127.0.0.1:5433/claudemesh",
    );
    expect(
      describeDatabaseUrl("postgres:///claudemesh?host=/var/run/postgresql&user=cm&password=s3cret"),
    ).toBe("/var/run/postgresql:5432/claudemesh");
    expect(describeDatabaseUrl("postgres://cm:s3cret@%2Ftmp:6000/claudemesh")).toBe("/tmp:6000/claudemesh");
    expect(describeDatabaseUrl("postgres:///claudemesh?host=/tmp&port=x")).toBe("/tmp:x/claudemesh");
    expect(describeDatabaseUrl("not a url s3cret")).toBe("(an unparsable URL)");
  });
});
