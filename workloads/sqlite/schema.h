// The SQLite schema shared by the agent (writes) and the runner (reads state back).
#pragma once

namespace crashlab::sqlite {

inline constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS orders(id INTEGER PRIMARY KEY, amount INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS markers(name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS accounts(id INTEGER PRIMARY KEY, balance INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS counters(id INTEGER PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS lists(list INTEGER NOT NULL, elem INTEGER NOT NULL, PRIMARY KEY(list, elem));
)sql";

}  // namespace crashlab::sqlite
