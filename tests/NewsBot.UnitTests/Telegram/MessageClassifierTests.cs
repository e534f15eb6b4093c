using NewsBot.Telegram;
using NewsBot.Telegram.Commands;
using NewsBot.Telegram.Conversation;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace NewsBot.UnitTests.Telegram;

public sealed class MessageClassifierTests
{
    const long BotId = 777;
    const long Group = -100123;
    readonly MessageClassifier _classifier;

    public MessageClassifierTests()
    {
        var identity = new BotIdentity();
        identity.Set(BotId, "@NewsTestBot");
        _classifier = new MessageClassifier(identity, [new Named("ask"), new Named("help")]);
    }

    static Message Msg(string? text, ChatType type = ChatType.Private, Message? replyTo = null, MessageEntity[]? entities = null) => new()
    {
        Id = 10,
        Chat = new Chat { Id = type == ChatType.Private ? 42 : Group, Type = type },
        From = new User { Id = 42, FirstName = "Ann" },
        Text = text,
        Entities = entities,
        ReplyToMessage = replyTo,
    };

    static Message FromBot() => new() { Id = 9, Chat = new Chat { Id = Group, Type = ChatType.Supergroup }, From = new User { Id = BotId, IsBot = true, FirstName = "Bot" } };

    [Fact]
    public void In_a_private_chat_any_text_is_a_question_and_a_slash_word_is_a_command_even_unknown()
    {
        Assert.Equal(new AddressedMessage(null, "", "What happened today?", false), _classifier.Classify(Msg("  What happened today? ")));
        Assert.Equal(new AddressedMessage("frobnicate", "", null, false), _classifier.Classify(Msg("/frobnicate")));
        Assert.Equal(new AddressedMessage("ask", "Who won?", null, false), _classifier.Classify(Msg("/ASK  Who won? ")));
        Assert.Equal(new AddressedMessage(null, "", null, true), _classifier.Classify(Msg(null)));
    }

    [Fact]
    public void A_command_for_this_bot_works_in_any_case_and_one_for_another_bot_is_ignored()
    {
        Assert.Equal(new AddressedMessage("ask", "Who won?", null, false), _classifier.Classify(Msg("/ask@newstestbot Who won?", ChatType.Supergroup)));
        Assert.Equal(new AddressedMessage("frobnicate", "", null, false), _classifier.Classify(Msg("/frobnicate@NewsTestBot", ChatType.Group)));
        Assert.Null(_classifier.Classify(Msg("/ask@OtherBot Who won?", ChatType.Supergroup)));
        Assert.Null(_classifier.Classify(Msg("/ask@OtherBot Who won?")));
    }

    [Fact]
    public void In_groups_only_known_bare_commands_mentions_and_replies_to_the_bot_are_addressed()
    {
        Assert.Equal(new AddressedMessage("help", "", null, false), _classifier.Classify(Msg("/help", ChatType.Supergroup)));
        Assert.Null(_classifier.Classify(Msg("/frobnicate", ChatType.Supergroup))); // probably another bot's
        Assert.Null(_classifier.Classify(Msg("What happened today?", ChatType.Supergroup)));
        Assert.Null(_classifier.Classify(Msg(null, ChatType.Supergroup)));
        Assert.Equal(new AddressedMessage(null, "", "And then?", false), _classifier.Classify(Msg("And then?", ChatType.Supergroup, FromBot())));
        Assert.Equal(new AddressedMessage(null, "", null, true), _classifier.Classify(Msg(null, ChatType.Supergroup, FromBot())));
    }

    [Fact]
    public void A_mention_is_the_whole_token_and_is_stripped_from_the_question()
    {
        Assert.Equal("what happened today?", _classifier.Classify(Msg("@NewsTestBot, what happened today ?", ChatType.Supergroup))!.Question);
        Assert.Equal("Hey what now?", _classifier.Classify(Msg("Hey @newstestbot what now?", ChatType.Supergroup))!.Question);
        Assert.Null(_classifier.Classify(Msg("ask @NewsTestBot_helper or mail@NewsTestBot.com", ChatType.Supergroup)));

        // With entities, only Telegram's mention entities count.
        var text = "@NewsTestBot who won?";
        Assert.Equal("who won?", _classifier.Classify(Msg(text, ChatType.Supergroup, entities: [new MessageEntity { Type = MessageEntityType.Mention, Offset = 0, Length = 12 }]))!.Question);
        Assert.Null(_classifier.Classify(Msg(text, ChatType.Supergroup, entities: [new MessageEntity { Type = MessageEntityType.Bold, Offset = 0, Length = 12 }])));
    }

    sealed class Named(string name) : ITelegramCommand
    {
        public string Name => name;

        public string Description => name;

        public Task HandleAsync(TelegramCommandContext context, CancellationToken ct) => Task.CompletedTask;
    }
}
