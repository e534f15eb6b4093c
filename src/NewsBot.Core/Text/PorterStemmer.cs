namespace NewsBot.Core.Text;

/// <summary>
/// The Porter (1980) stemming algorithm for English, written from the published description.
/// Words that are not plain lower-case ASCII letters are returned unchanged.
/// </summary>
/// <remarks>
/// Like Martin Porter's own reference C implementation (and unlike the published algorithm and its Snowball port),
/// it makes the reference's three departures: words of one or two letters are not stemmed ("is", "us", "as" stay),
/// step 2 maps "-bli" to "-ble" instead of "-abli" to "-able" ("possibly" → "possibl", not "possibli"), and step 2
/// maps "-logi" to "-log" ("apology" → "apolog", not "apologi"). The stems are persisted as lexical term ids, so
/// these stay; the test against the published vocabulary (30,428 words) lists the 39 words they change.
/// </remarks>
public static class PorterStemmer
{
    public static string Stem(string word)
    {
        if (word.Length <= 2) return word;
        foreach (var c in word)
            if (c < 'a' || c > 'z') return word;
        var s = new Buffer(word);
        s.Step1ab();
        if (s.K > 0)
        {
            s.Step1c(); s.Step2(); s.Step3(); s.Step4(); s.Step5();
        }
        return s.ToString();
    }

    sealed class Buffer
    {
        readonly char[] _b;
        int _k;   // index of last char
        int _j;   // general offset

        public Buffer(string w) { _b = w.ToCharArray(); _k = w.Length - 1; }
        public int K => _k;
        public override string ToString() => new(_b, 0, _k + 1);

        bool Cons(int i) => _b[i] switch
        {
            'a' or 'e' or 'i' or 'o' or 'u' => false,
            'y' => i == 0 || !Cons(i - 1),
            _ => true,
        };

        // m() measures the number of consonant sequences between 0 and j.
        int M()
        {
            int n = 0, i = 0;
            while (true) { if (i > _j) return n; if (!Cons(i)) break; i++; }
            i++;
            while (true)
            {
                while (true) { if (i > _j) return n; if (Cons(i)) break; i++; }
                i++; n++;
                while (true) { if (i > _j) return n; if (!Cons(i)) break; i++; }
                i++;
            }
        }

        bool VowelInStem()
        {
            for (int i = 0; i <= _j; i++) if (!Cons(i)) return true;
            return false;
        }

        bool DoubleC(int j) => j >= 1 && _b[j] == _b[j - 1] && Cons(j);

        bool Cvc(int i)
        {
            if (i < 2 || !Cons(i) || Cons(i - 1) || !Cons(i - 2)) return false;
            char ch = _b[i];
            return ch != 'w' && ch != 'x' && ch != 'y';
        }

        bool Ends(string s)
        {
            int l = s.Length, o = _k - l + 1;
            if (o < 0) return false;
            for (int i = 0; i < l; i++) if (_b[o + i] != s[i]) return false;
            _j = _k - l;
            return true;
        }

        void SetTo(string s)
        {
            int l = s.Length, o = _j + 1;
            for (int i = 0; i < l; i++) _b[o + i] = s[i];
            _k = _j + l;
        }

        void R(string s) { if (M() > 0) SetTo(s); }

        public void Step1ab()
        {
            if (_b[_k] == 's')
            {
                if (Ends("sses")) _k -= 2;
                else if (Ends("ies")) SetTo("i");
                else if (_b[_k - 1] != 's') _k--;
            }
            if (Ends("eed")) { if (M() > 0) _k--; }
            else if ((Ends("ed") || Ends("ing")) && VowelInStem())
            {
                _k = _j;
                if (Ends("at")) SetTo("ate");
                else if (Ends("bl")) SetTo("ble");
                else if (Ends("iz")) SetTo("ize");
                else if (DoubleC(_k))
                {
                    _k--;
                    char ch = _b[_k];
                    if (ch == 'l' || ch == 's' || ch == 'z') _k++;
                }
                else if (M() == 1 && Cvc(_k)) SetTo("e");
            }
        }

        public void Step1c()
        {
            if (Ends("y") && VowelInStem()) _b[_k] = 'i';
        }

        public void Step2()
        {
            if (_k == 0) return;
            switch (_b[_k - 1])
            {
                case 'a': if (Ends("ational")) { R("ate"); break; } if (Ends("tional")) { R("tion"); } break;
                case 'c': if (Ends("enci")) { R("ence"); break; } if (Ends("anci")) { R("ance"); } break;
                case 'e': if (Ends("izer")) { R("ize"); } break;
                case 'l':
                    if (Ends("bli")) { R("ble"); break; }
                    if (Ends("alli")) { R("al"); break; }
                    if (Ends("entli")) { R("ent"); break; }
                    if (Ends("eli")) { R("e"); break; }
                    if (Ends("ousli")) { R("ous"); } break;
                case 'o':
                    if (Ends("ization")) { R("ize"); break; }
                    if (Ends("ation")) { R("ate"); break; }
                    if (Ends("ator")) { R("ate"); } break;
                case 's':
                    if (Ends("alism")) { R("al"); break; }
                    if (Ends("iveness")) { R("ive"); break; }
                    if (Ends("fulness")) { R("ful"); break; }
                    if (Ends("ousness")) { R("ous"); } break;
                case 't':
                    if (Ends("aliti")) { R("al"); break; }
                    if (Ends("iviti")) { R("ive"); break; }
                    if (Ends("biliti")) { R("ble"); } break;
                case 'g': if (Ends("logi")) { R("log"); } break;
            }
        }

        public void Step3()
        {
            switch (_b[_k])
            {
                case 'e':
                    if (Ends("icate")) { R("ic"); break; }
                    if (Ends("ative")) { R(""); break; }
                    if (Ends("alize")) { R("al"); } break;
                case 'i': if (Ends("iciti")) { R("ic"); } break;
                case 'l': if (Ends("ical")) { R("ic"); break; } if (Ends("ful")) { R(""); } break;
                case 's': if (Ends("ness")) { R(""); } break;
            }
        }

        public void Step4()
        {
            if (_k == 0) return;
            switch (_b[_k - 1])
            {
                case 'a': if (Ends("al")) break; return;
                case 'c': if (Ends("ance")) break; if (Ends("ence")) break; return;
                case 'e': if (Ends("er")) break; return;
                case 'i': if (Ends("ic")) break; return;
                case 'l': if (Ends("able")) break; if (Ends("ible")) break; return;
                case 'n': if (Ends("ant")) break; if (Ends("ement")) break; if (Ends("ment")) break; if (Ends("ent")) break; return;
                case 'o':
                    if (Ends("ion") && _j >= 0 && (_b[_j] == 's' || _b[_j] == 't')) break;
                    if (Ends("ou")) break;
                    return;
                case 's': if (Ends("ism")) break; return;
                case 't': if (Ends("ate")) break; if (Ends("iti")) break; return;
                case 'u': if (Ends("ous")) break; return;
                case 'v': if (Ends("ive")) break; return;
                case 'z': if (Ends("ize")) break; return;
                default: return;
            }
            if (M() > 1) _k = _j;
        }

        public void Step5()
        {
            _j = _k;
            if (_b[_k] == 'e')
            {
                int a = M();
                if (a > 1 || (a == 1 && !Cvc(_k - 1))) _k--;
            }
            if (_b[_k] == 'l' && DoubleC(_k) && M() > 1) _k--;
        }
    }
}
