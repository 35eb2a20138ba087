-- One database per service, for the containerised stack (docker-compose.yml).
CREATE DATABASE intake;
CREATE DATABASE routing;
CREATE DATABASE settlement;
CREATE DATABASE analytics;
CREATE DATABASE notifications;
