//! samfix-core as a library: check a template held in a string, print what is wrong and
//! the fixed text. `cargo run -p samfix-core --example fix_template`
//! (`-- --strategy events` to move the key to the events instead).

use samfix_core::{check, Strategy};

const TEMPLATE: &str = "\
Transform: AWS::Serverless-2016-10-31
Resources:
  Api:
    Type: AWS::Serverless::Api
    Properties:
      StageName: prod
      Cors: \"'*'\"
      Auth:
        ApiKeyRequired: true
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Handler: app.handler
      Runtime: python3.12
      Events:
        Get:
          Type: Api
          Properties:
            RestApiId: !Ref Api
            Path: /hello
            Method: get
";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let strategy = match std::env::args()
        .skip_while(|arg| arg != "--strategy")
        .nth(1)
    {
        Some(name) => name.parse()?,
        None => Strategy::Auto,
    };
    let checked = check(TEMPLATE, strategy)?;
    for finding in &checked.findings {
        println!("{}: {}", finding.rule, finding.message);
        if let Some(fix) = finding.fix.map(|index| &checked.fixes[index]) {
            println!("  fix ({}): {}", fix.strategy, fix.why);
            for change in &fix.changes {
                println!("  - {change}");
            }
        }
        if let Some(refusal) = finding.refusal.map(|index| &checked.refusals[index]) {
            println!(
                "  needs a human ({}): {}",
                refusal.reason.kind(),
                refusal.reason
            );
        }
    }
    if let Some(fixed) = &checked.fixed {
        print!("\n{fixed}");
    }
    Ok(())
}
