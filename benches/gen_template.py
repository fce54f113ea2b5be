#!/usr/bin/env python3
"""Writes a large SAM template for benches/run.py: one REST API whose key reaches the CORS
preflight through Globals, and as many functions with Api events as fit in the size.

    gen_template.py BYTES OUT

The output depends only on BYTES, so every run measures the same file. Its size is the
largest whole number of functions that stays at or under BYTES.
"""

import sys

HEADER = """\
AWSTemplateFormatVersion: '2010-09-09'
Transform: AWS::Serverless-2016-10-31
Description: Order service, one function per route behind a REST API that requires an API key.

Parameters:
  Stage:
    Type: String
    Default: prod
    AllowedValues: [dev, staging, prod]
  AllowedOrigin:
    Type: String
    Default: https://app.example.com

Globals:
  Function:
    Timeout: 15
    MemorySize: 256
    Tracing: Active
    Architectures:
      - arm64
  Api:
    OpenApiVersion: '3.0.1'
    Auth:
      ApiKeyRequired: true
      UsagePlan:
        CreateUsagePlan: PER_API
        Throttle:
          BurstLimit: 200
          RateLimit: 100
    Cors:
      AllowMethods: "'GET,POST,PUT,DELETE,OPTIONS'"
      AllowHeaders: "'Content-Type,X-Api-Key,Authorization'"
      AllowOrigin: !Sub "'${AllowedOrigin}'"
      MaxAge: "'600'"

Resources:
  OrdersApi:
    Type: AWS::Serverless::Api
    Properties:
      StageName: !Ref Stage
      TracingEnabled: true
      MethodSettings:
        - ResourcePath: '/*'
          HttpMethod: '*'
          MetricsEnabled: true
          ThrottlingBurstLimit: 500

  OrdersTable:
    Type: AWS::Serverless::SimpleTable
    Properties:
      PrimaryKey:
        Name: id
        Type: String

  EventsQueue:
    Type: AWS::SQS::Queue
    Properties:
      MessageRetentionPeriod: 345600
"""

ENTITIES = ["orders", "customers", "invoices", "shipments", "products", "carts", "refunds"]
ACTIONS = [
    ("list", "GET", ""),
    ("get", "GET", "/{id}"),
    ("create", "POST", ""),
    ("update", "PUT", "/{id}"),
    ("delete", "DELETE", "/{id}"),
]
RUNTIMES = [
    ("python3.12", "app.handler", "py"),
    ("nodejs20.x", "index.handler", "js"),
    ("python3.12", "handlers.main", "py"),
]


def function(i):
    entity = ENTITIES[i % len(ENTITIES)]
    action, method, suffix = ACTIONS[(i // len(ENTITIES)) % len(ACTIONS)]
    runtime, handler, lang = RUNTIMES[i % len(RUNTIMES)]
    name = f"{entity.capitalize()}{action.capitalize()}{i:05d}"
    path = f"/v{1 + i // 1000}/{entity}-{i:05d}{suffix}"
    lines = [
        "",
        f"  {name}Function:",
        "    Type: AWS::Serverless::Function",
        "    Properties:",
        f"      FunctionName: !Sub '${{AWS::StackName}}-{entity}-{action}-{i:05d}'",
        f"      Description: {action.capitalize()} {entity} (route {i})",
        f"      CodeUri: src/{lang}/{entity}/",
        f"      Handler: {handler}",
        f"      Runtime: {runtime}",
    ]
    if i % 4 == 0:
        lines.append("      MemorySize: 1024  # exports are assembled in memory")
    lines += [
        "      Environment:",
        "        Variables:",
        "          TABLE_NAME: !Ref OrdersTable",
        "          QUEUE_URL: !Ref EventsQueue",
        f"          ENTITY: {entity}",
        "          LOG_LEVEL: INFO",
        "      Policies:",
    ]
    if method == "GET":
        lines += ["        - DynamoDBReadPolicy:", "            TableName: !Ref OrdersTable"]
    else:
        lines += [
            "        - DynamoDBCrudPolicy:",
            "            TableName: !Ref OrdersTable",
            "        - SQSSendMessagePolicy:",
            "            QueueName: !GetAtt EventsQueue.QueueName",
        ]
    lines += [
        "      Events:",
        f"        {action.capitalize()}:",
        "          Type: Api",
        "          Properties:",
        "            RestApiId: !Ref OrdersApi",
        f"            Path: {path}",
        f"            Method: {method}",
    ]
    if i % 3 == 0:
        # A second route on the same function, as versioned APIs often have.
        lines += [
            f"        {action.capitalize()}Legacy:",
            "          Type: Api",
            "          Properties:",
            "            RestApiId: !Ref OrdersApi",
            f"            Path: /legacy{path}",
            f"            Method: {method.lower()}",
        ]
    return "\n".join(lines) + "\n"


def generate(limit):
    parts = [HEADER]
    size = len(HEADER.encode())
    i = 0
    while True:
        text = function(i)
        if size + len(text.encode()) > limit:
            break
        parts.append(text)
        size += len(text.encode())
        i += 1
    return "".join(parts), i


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen_template.py BYTES OUT")
    text, functions = generate(int(sys.argv[1]))
    with open(sys.argv[2], "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    print(f"{sys.argv[2]}: {len(text.encode())} bytes, {functions} functions", file=sys.stderr)


if __name__ == "__main__":
    main()
