using System.CommandLine;
using Microsoft.Extensions.DependencyInjection;
using NewsBot.Core.Answering;

namespace NewsBot.Cli;

/// <summary><c>chat</c>: an interactive conversation in the terminal on the same engine (/new resets, /exit quits).</summary>
public static class ChatCommand
{
    public static Command Create(NewsBotCli cli)
    {
        var chat = new Option<string?>("--chat") { Description = "Continue this conversation id (default: a new one)", HelpName = "ID" };
        var cmd = new Command("chat", "Talk to NewsBot in the terminal (follow-ups work; /new starts over)") { chat };
        cmd.SetAction((parse, ct) => cli.RunVerbAsync(parse, ct, async (sp, output, token) =>
        {
            var service = sp.GetRequiredService<IAnswerService>();
            await AskCommand.EnsureSamplesAsync(sp, output, token);
            var conversation = "cli:" + (parse.GetValue(chat) ?? "chat-" + Guid.NewGuid().ToString("N")[..8]);
            bool interactive = !Console.IsInputRedirected;
            // with --json, stdout carries only the JSON results (one a line); the rest goes to stderr
            void Say(string text) { if (output.Json) output.Error(text); else output.Line(text); }
            var promptTo = output.Json ? output.Err : output.Out;
            if (interactive) Say("Ask about the news. Follow-ups are understood. /new starts over, /exit quits.");
            while (true)
            {
                if (interactive) { promptTo.Write("\n> "); promptTo.Flush(); }
                var line = await cli.ReadLineAsync(token);
                if (line is null) break;
                line = line.Trim();
                if (line.Length == 0) continue;
                if (line is "/exit" or "/quit") break;
                if (line == "/new")
                {
                    await service.ResetConversationAsync(conversation, token);
                    Say("Started a new conversation.");
                    continue;
                }
                if (line is "/help" or "?")
                {
                    Say("Type a question. /new forgets the conversation, /stories lists the stories of the last 48 hours (/stories show ID, --since 7d, --top N), /digest summarises the top stories (--since 24h, --top N), /exit quits. Filters: from:OUTLET, and time words like today, last week, in March.");
                    continue;
                }
                if (line == "/stories" || line == "/story" || line.StartsWith("/stories ", StringComparison.Ordinal) || line.StartsWith("/story ", StringComparison.Ordinal))
                {
                    await StoriesCommand.ChatAsync(sp, output, line, token);
                    continue;
                }
                if (line == "/digest" || line.StartsWith("/digest ", StringComparison.Ordinal))
                {
                    await DigestCommand.ChatAsync(sp, output, line, token);
                    continue;
                }
                if (line.StartsWith('/'))
                {
                    Say($"Unknown command {line}. Commands: /new, /stories, /digest, /help, /exit.");
                    continue;
                }
                var result = await service.AnswerAsync(new AnswerRequest { Question = line, ConversationId = conversation }, token);
                if (output.Json) output.WriteJsonLine(AnswerPrinter.ToJson(result, null));
                else AnswerPrinter.Print(output, result);
            }
            return 0;
        }));
        return cmd;
    }
}
